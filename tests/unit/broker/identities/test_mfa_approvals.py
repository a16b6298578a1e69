"""A flow with `approverMfa`: each approval carries a fresh code of the approver's, checked
in the broker's approve use case, whoever calls it; without one nothing changes."""

from __future__ import annotations

import pytest

from broker import Forbidden, Services, approve_request, audit
from broker.identities.mfa import MfaCodeRefused, MfaCodeRequired, MfaNotEnrolled
from policies.flows import AccessFlow, FlowInvalid
from tests.support.approval_lab import (
    GRACE,
    MIA,
    SAM,
    approved_steps,
    ask,
    lab_flow,
    seed_lab,
    state,
)
from tests.support.clock import ManualClock
from tests.unit.broker.identities.mfa_lab import code_at, enrol


@pytest.fixture
def secret(services: Services) -> str:
    """A lab whose flow needs approvers' MFA, named approvers GRACE (enrolled) and SAM."""
    seed_lab(services)
    lab_flow(services, approvers=(GRACE, SAM), approver_mfa=True)
    return enrol(services, GRACE)[0]


def test_the_flow_option_defaults_off_and_reads_only_as_a_boolean() -> None:
    base = {"key": "f", "name": "F", "everyone": True, "integrations": ["lab"]}
    assert AccessFlow.from_dict(base).approver_mfa is False
    assert AccessFlow.from_dict({**base, "approver_mfa": True}).approver_mfa is True
    with pytest.raises(FlowInvalid, match="`approver_mfa` must be true or false"):
        AccessFlow.from_dict({**base, "approver_mfa": "yes"})


def test_an_approval_without_a_code_is_refused_and_changes_nothing(
    services: Services, secret: str
) -> None:
    key = ask(services)
    for missing in (None, ""):
        with pytest.raises(MfaCodeRequired, match="`mfaCode`"):
            approve_request(services, approver=GRACE, request=key, mfa_code=missing)
    assert state(services, key) == "PENDING" and approved_steps(services, key) == {}


def test_a_wrong_code_is_refused_and_a_fresh_one_approves(
    services: Services, secret: str, clock: ManualClock
) -> None:
    key = ask(services)
    wrong = code_at(secret, 0.0)
    with pytest.raises(MfaCodeRefused, match="wrong"):
        approve_request(services, approver=GRACE, request=key, mfa_code=wrong)
    assert state(services, key) == "PENDING"
    (failed,) = [e for e in audit.read_events(services.store) if e.kind == "user.mfa_failed"]
    assert (failed.actor, failed.data) == (GRACE, {"purpose": "approval", "reason": "wrong_code"})
    assert wrong not in str(failed)
    approve_request(services, approver=GRACE, request=key, mfa_code=code_at(secret, clock()))
    assert state(services, key) == "GRANTED"


def test_a_code_used_for_one_approval_is_refused_for_the_next(
    services: Services, secret: str, clock: ManualClock
) -> None:
    first, second = ask(services), ask(services, justification="again")
    code = code_at(secret, clock())
    approve_request(services, approver=GRACE, request=first, mfa_code=code)
    with pytest.raises(MfaCodeRefused, match="used already"):
        approve_request(services, approver=GRACE, request=second, mfa_code=code)
    assert state(services, second) == "PENDING"


def test_an_approver_without_mfa_is_told_to_enrol(services: Services, secret: str) -> None:
    key = ask(services)
    with pytest.raises(MfaNotEnrolled, match="enrol at POST /auth/mfa/enrol"):
        approve_request(services, approver=SAM, request=key, mfa_code="123456")
    assert state(services, key) == "PENDING"


def test_a_non_approver_learns_nothing_about_mfa(services: Services, secret: str) -> None:
    key = ask(services)
    with pytest.raises(Forbidden, match="not an approver"):
        approve_request(services, approver=MIA, request=key)


def test_a_flow_without_the_option_approves_without_a_code(services: Services) -> None:
    seed_lab(services)
    lab_flow(services, approvers=(GRACE,))
    key = ask(services)
    approve_request(services, approver=GRACE, request=key)
    assert state(services, key) == "GRANTED"
