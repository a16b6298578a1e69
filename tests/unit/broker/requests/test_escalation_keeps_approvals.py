"""An approval given before its step escalated keeps counting for that step."""

from __future__ import annotations

import pytest

from broker import Services, StateConflict, approve_request
from broker.demo import DEMO_ADMIN
from broker.flows.flow_reports import flow_findings
from broker.jobs.escalate_requests import escalate_requests
from graph import NodeRef, UpsertEdge
from policies.analysis import flows_counting_someone_twice
from policies.approval_steps import ApprovalStep
from policies.flows import AccessFlow
from tests.support.approval_lab import (
    GRACE,
    SAM,
    KeptNotices,
    approved_steps,
    ask,
    grants,
    history,
    lab_flow,
    seed_lab,
    state,
)
from tests.support.clock import ManualClock


@pytest.fixture
def kept(services: Services) -> KeptNotices:
    return seed_lab(services)


def test_an_approval_before_the_escalation_completes_the_step_once_its_giver_is_in_the_tier(
    services: Services, clock: ManualClock, kept: KeptNotices
) -> None:
    """Grace approves her half of an all-of step; the step escalates to a tier that names
    her: her approval now completes the step, so the request is approved at once."""
    lab_flow(
        services,
        approvers=(GRACE, SAM),
        approval_mode="all",
        escalation_minutes=30,
        escalation_users=(GRACE,),
    )
    key = ask(services)
    approve_request(services, approver=GRACE, request=key)
    assert state(services, key) == "PENDING", "sam has not approved yet"
    clock.advance(30 * 60)
    assert escalate_requests(services) == 1
    assert state(services, key) == "GRANTED"
    assert grants(services) == 1
    assert approved_steps(services, key) == {GRACE: 0}
    assert "request.approved" in history(services, key)


def test_approving_again_after_the_escalation_is_refused_and_says_the_first_one_counts(
    services: Services, clock: ManualClock, kept: KeptNotices
) -> None:
    """Grace approved step one of two before it escalated to a tier without her: her
    approval still counts for step one, and a second one from her is refused, naming it."""
    lab_flow(
        services,
        approvers=(GRACE, SAM),
        approval_mode="all",
        escalation_minutes=30,
        escalation_groups=("dba",),
    )
    key = ask(services)
    approve_request(services, approver=GRACE, request=key)
    clock.advance(30 * 60)
    assert escalate_requests(services) == 1
    assert state(services, key) == "PENDING"
    with pytest.raises(
        StateConflict, match=r"already approved .*\(step 1\) and that approval still counts"
    ):
        approve_request(services, approver=GRACE, request=key)
    approve_request(services, approver=SAM, request=key)
    assert state(services, key) == "GRANTED"
    assert approved_steps(services, key) == {GRACE: 0, SAM: 0}


def test_approving_again_once_the_tier_includes_you_completes_the_step_without_a_new_approval(
    services: Services, clock: ManualClock, kept: KeptNotices
) -> None:
    """Grace approved before the step escalated to `dba`, and joined `dba` only after: her
    approval counts for the tier now, so approving again completes the step (adding no
    second approval of hers) instead of being refused."""
    lab_flow(
        services,
        approvers=(GRACE, SAM),
        approval_mode="all",
        escalation_minutes=30,
        escalation_groups=("dba",),
    )
    key = ask(services)
    approve_request(services, approver=GRACE, request=key)
    clock.advance(30 * 60)
    assert escalate_requests(services) == 1
    assert state(services, key) == "PENDING"
    joined = UpsertEdge("MEMBER_OF", NodeRef("User", GRACE), NodeRef("Group", "dba"))
    services.store.write([joined])
    approve_request(services, approver=GRACE, request=key)
    assert state(services, key) == "GRANTED"
    assert approved_steps(services, key) == {GRACE: 0}
    assert history(services, key).count("approval.recorded") == 1


def test_an_approval_of_an_earlier_step_never_counts_for_a_later_one(
    services: Services, clock: ManualClock, kept: KeptNotices
) -> None:
    """Grace approved step one; step two escalates to a tier naming only her: one person
    counts once per request, so her approval of step two is refused, naming why."""
    lab_flow(
        services,
        approval_steps=(ApprovalStep(approvers=(GRACE,)), ApprovalStep(approvers=(SAM,))),
        escalation_minutes=10,
        escalation_users=(GRACE,),
    )
    key = ask(services)
    approve_request(services, approver=GRACE, request=key)
    clock.advance(10 * 60)
    assert escalate_requests(services) == 1
    with pytest.raises(StateConflict, match=r"\(step 1\): one person counts once.*step 2"):
        approve_request(services, approver=GRACE, request=key)
    assert state(services, key) == "PENDING"
    approve_request(services, approver=SAM, request=key)
    assert state(services, key) == "GRANTED"


def test_flow_findings_name_a_step_only_an_earlier_steps_approver_could_approve(
    services: Services, clock: ManualClock, kept: KeptNotices
) -> None:
    """Grace must approve step one, and step two (and its escalation tier) name only her:
    no request could ever be approved, and the flow findings say so; naming someone
    else in step two or in the tier clears it."""

    def flow(second: tuple[str, ...], tier: tuple[str, ...]) -> AccessFlow:
        return AccessFlow(
            key="twice",
            name="twice",
            requestor_groups=("engineering",),
            integrations=("lab",),
            max_duration_minutes=60,
            approval_steps=(ApprovalStep(approvers=(GRACE,)), ApprovalStep(approvers=second)),
            escalation_minutes=10,
            escalation_users=tier,
        )

    [finding] = flows_counting_someone_twice([flow((GRACE,), (GRACE,))])
    assert finding.kind == "counts-twice"
    assert "step 2 names only `grace" in finding.message
    assert flows_counting_someone_twice([flow((GRACE, SAM), (GRACE,))]) == []
    assert flows_counting_someone_twice([flow((GRACE,), (SAM,))]) == []
    lab_flow(
        services,
        approval_steps=(ApprovalStep(approvers=(GRACE,)), ApprovalStep(approvers=(GRACE,))),
    )
    assert "counts-twice" in {f.kind for f in flow_findings(services, viewer=DEMO_ADMIN)}
