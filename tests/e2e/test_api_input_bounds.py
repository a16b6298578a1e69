"""Over HTTP: text inputs are bounded and clean, and a start time at the ends of the
calendar is a clear `invalid_input`, never a server error."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import LiveKeyturn

REQUEST = "mutation($r: RequestAccessInput!) { requestAccess(request: $r) { id state } }"
BUNDLE = "mutation($r: RequestBundleInput!) { requestBundle(request: $r) { id } }"
PAYMENTS = {"resource": "pg-prod/payments", "durationMinutes": 45, "justification": "ticket 5"}


@pytest.mark.parametrize(
    "starts_at",
    [
        "0001-01-01T00:00:00+14:00",
        "0001-01-01T00:00:00",
        "9999-12-31T23:59:59-14:00",
        "9999-12-31T23:59:59+00:00",
        "2999-12-31T00:00:00+00:00",
    ],
)
def test_a_start_at_the_ends_of_the_calendar_is_invalid_input(
    live: LiveKeyturn, starts_at: str
) -> None:
    error = live.grantee.error(REQUEST, r={**PAYMENTS, "startsAt": starts_at})
    assert error["extensions"]["code"] == "invalid_input"
    assert "start" in error["message"]
    assert live.services.store.find_nodes("AccessRequest") == []


def test_a_bundle_request_starting_in_the_year_9999_is_invalid_input(live: LiveKeyturn) -> None:
    error = live.grantee.error(
        BUNDLE,
        r={"bundle": "nope", "permissions": ["read"], "startsAt": "9999-12-31T23:59:59-14:00"},
    )
    assert error["extensions"]["code"] in ("invalid_input", "not_found")


def test_a_huge_justification_is_refused_with_its_length(live: LiveKeyturn) -> None:
    error = live.grantee.error(REQUEST, r={**PAYMENTS, "justification": "x" * 100_000})
    assert error["extensions"]["code"] == "invalid_input"
    assert error["message"] == (
        "justification is 100,000 characters long, more than the 2,000 allowed: shorten it"
    )


def test_a_justification_with_a_bidi_override_is_refused_by_code_point(live: LiveKeyturn) -> None:
    error = live.grantee.error(REQUEST, r={**PAYMENTS, "justification": "ok\u202egnp.exe"})
    assert error["extensions"]["code"] == "invalid_input"
    assert error["message"] == "justification holds the invisible character U+202E: remove it"
    assert live.services.store.find_nodes("AccessRequest") == []
