"""Per-caller rate limits on changes, over HTTP: a refusal that says when to retry, made
before anything is written, and counted on the server's clock."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import LiveKeyturn

REQUEST = """
mutation {
  requestAccess(request: {resource: "pg-prod/orders", permissions: ["read"],
                          durationMinutes: 30, justification: "rate"}) { id }
}"""
TOKEN = 'mutation { issueToken(name: "rate") { token } }'


@pytest.fixture(autouse=True)
def _small_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    # Read when a server first charges a change, so before any test below makes one.
    monkeypatch.setenv("KEYTURN_RATE_WRITES_PER_MINUTE", "4")
    monkeypatch.setenv("KEYTURN_RATE_REQUESTS_PER_MINUTE", "2")


def test_access_requests_past_the_limit_are_refused_unmade_until_the_clock_moves(
    live: LiveKeyturn,
) -> None:
    for _ in range(2):
        live.grantee.data(REQUEST)
    error = live.grantee.error(REQUEST)
    assert error["extensions"] == {"code": "rate_limited", "retryAfterSeconds": 30}
    assert error["message"] == (
        "too many access requests from `linus@acme.example` in the last minute: try again in 30 s"
    )
    assert len(live.grantee.data("{ myRequests { id } }")["myRequests"]) == 2
    # Another caller has a bucket of their own: their request is judged, not rate limited.
    other = live.approver.call(REQUEST)
    assert all(e["extensions"]["code"] != "rate_limited" for e in other.get("errors") or [])
    assert live.approver.data(TOKEN)["issueToken"]["token"]
    live.clock.advance(30)
    live.grantee.data(REQUEST)
    assert len(live.grantee.data("{ myRequests { id } }")["myRequests"]) == 3


def test_every_change_counts_towards_the_write_limit(live: LiveKeyturn) -> None:
    tokens = [live.admin.data(TOKEN)["issueToken"]["token"] for _ in range(4)]
    assert len(set(tokens)) == 4
    error = live.admin.error(TOKEN)
    assert error["extensions"]["code"] == "rate_limited"
    assert error["message"] == (
        "too many changes from `ada@acme.example` in the last minute: try again in 15 s"
    )
    # Reading is not limited.
    assert len(live.admin.data("{ apiTokens { key } }")["apiTokens"]) >= 4
