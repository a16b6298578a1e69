"""`pending_approvals` lists what awaits the caller's review now: requests at a step (or an
escalation tier) that counts them in, never their own or one for them, nor one they approved."""

from __future__ import annotations

import pytest

from broker import Services, approve_request
from broker.jobs.escalate_requests import escalate_requests
from broker.reads.queries import pending_approvals
from policies.approval_steps import ApprovalStep
from tests.support.approval_lab import (
    GRACE,
    LINUS,
    MIA,
    RESOURCE,
    SAM,
    TOM,
    ask,
    lab_flow,
    seed_lab,
)
from tests.support.clock import ManualClock


@pytest.fixture
def lab(services: Services) -> Services:
    seed_lab(services)
    return services


def _awaiting(services: Services, who: str) -> list[str]:
    """The lab requests `who` is asked to review now (the demo's own are left out)."""
    found = pending_approvals(services, approver=who)
    return [n.key for n in found if n.props.get("resource") == RESOURCE]


def test_only_the_current_steps_approvers_see_a_request(lab: Services) -> None:
    steps = (ApprovalStep(approvers=(GRACE,)), ApprovalStep(approver_groups=("security",)))
    lab_flow(lab, approval_steps=steps)
    key = ask(lab)
    assert _awaiting(lab, GRACE) == [key]
    assert _awaiting(lab, SAM) == [], "step 2's approvers wait for step 1"

    approve_request(lab, approver=GRACE, request=key)
    assert _awaiting(lab, GRACE) == [], "step 1 is done: its approver is not asked again"
    assert _awaiting(lab, SAM) == [key]
    assert _awaiting(lab, TOM) == [key]
    assert _awaiting(lab, MIA) == []


def test_an_approver_who_approved_an_all_of_step_no_longer_sees_it(lab: Services) -> None:
    lab_flow(lab, approvers=(SAM, TOM), approval_mode="all")
    key = ask(lab)
    assert (_awaiting(lab, SAM), _awaiting(lab, TOM)) == ([key], [key])
    approve_request(lab, approver=SAM, request=key)
    assert _awaiting(lab, SAM) == [], "SAM approved already: the request waits for TOM"
    assert _awaiting(lab, TOM) == [key]


def test_the_requester_and_the_beneficiary_never_see_their_request(lab: Services) -> None:
    lab_flow(lab, approver_groups=("security",), on_behalf_users=(TOM,))
    own = ask(lab, requester=SAM)
    assert _awaiting(lab, SAM) == []
    assert _awaiting(lab, TOM) == [own]
    for_tom = ask(lab, requester=LINUS, beneficiary=TOM)
    assert _awaiting(lab, TOM) == [own], "TOM would receive it: he may not review it"
    assert _awaiting(lab, SAM) == [for_tom]


def test_the_escalation_tier_sees_a_request_only_once_it_escalated(
    lab: Services, clock: ManualClock
) -> None:
    lab_flow(lab, approvers=(GRACE,), escalation_minutes=30, escalation_groups=("dba",))
    key = ask(lab)
    assert _awaiting(lab, MIA) == []
    clock.advance(31 * 60)
    assert escalate_requests(lab) == 1
    assert _awaiting(lab, MIA) == [key]
    assert _awaiting(lab, GRACE) == [key], "the step's own approvers still may decide"


def test_requests_are_listed_oldest_first(lab: Services, clock: ManualClock) -> None:
    lab_flow(lab, approvers=(GRACE,))
    first = ask(lab)
    clock.advance(60)
    second = ask(lab, justification="later")
    assert _awaiting(lab, GRACE) == [first, second]
