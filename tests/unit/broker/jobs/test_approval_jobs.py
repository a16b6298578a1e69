"""The approval plan's clock: escalation to the next tier and the pending time-out."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from broker import Forbidden, Services, StateConflict, approve_request
from broker.jobs.escalate_requests import escalate_requests
from broker.jobs.scheduler import ExpiryScheduler
from broker.jobs.time_out_requests import time_out_requests
from broker.notify import NoticeKind
from policies.approval_steps import ApprovalStep
from tests.support.approval_lab import (
    GRACE,
    MIA,
    SAM,
    TOM,
    KeptNotices,
    ask,
    history,
    lab_flow,
    props,
    seed_lab,
    state,
)
from tests.support.clock import ManualClock


@pytest.fixture
def kept(services: Services) -> KeptNotices:
    return seed_lab(services)


def test_a_step_left_undecided_escalates_once_and_the_tier_may_then_approve(
    services: Services, clock: ManualClock, kept: KeptNotices
) -> None:
    lab_flow(services, approvers=(GRACE,), escalation_minutes=30, escalation_groups=("dba",))
    key = ask(services)
    with pytest.raises(Forbidden, match="not an approver"):
        approve_request(services, approver=MIA, request=key)
    clock.advance(30 * 60 - 1)
    assert escalate_requests(services) == 0
    clock.advance(1)
    assert escalate_requests(services) == 1
    assert props(services, key)["escalated"] is True
    assert escalate_requests(services) == 0, "a request escalates once per step"
    assert "request.escalated" in history(services, key)
    notice = [n for n in kept.notices if n.kind is NoticeKind.REQUEST_CREATED][-1]
    assert notice.details.get("escalated") is True
    assert MIA in notice.approvers and GRACE in notice.approvers
    approve_request(services, approver=MIA, request=key)
    assert state(services, key) == "GRANTED"


def test_an_escalation_approval_completes_only_the_current_step(
    services: Services, clock: ManualClock, kept: KeptNotices
) -> None:
    lab_flow(
        services,
        approval_steps=(ApprovalStep(manager=True), ApprovalStep(approvers=(SAM,))),
        escalation_minutes=10,
        escalation_users=(TOM,),
    )
    key = ask(services)
    clock.advance(10 * 60)
    assert escalate_requests(services) == 1
    approve_request(services, approver=TOM, request=key)
    after = props(services, key)
    assert (after["state"], after["approval_step"], after["escalated"]) == ("PENDING", 1, False)
    with pytest.raises(Forbidden, match="not an approver"):
        approve_request(services, approver=TOM, request=key)  # the tier's power ended
    clock.advance(10 * 60 - 1)
    assert escalate_requests(services) == 0, "the next step's clock starts at its start"
    approve_request(services, approver=SAM, request=key)
    assert state(services, key) == "GRANTED"


def test_a_request_nobody_decides_times_out_and_the_requester_hears_of_it(
    services: Services, clock: ManualClock, kept: KeptNotices
) -> None:
    lab_flow(services, approvers=(GRACE,), pending_timeout_minutes=60)
    key = ask(services)
    clock.advance(60 * 60 - 1)
    assert time_out_requests(services) == 0
    clock.advance(1)
    assert time_out_requests(services) == 1
    assert state(services, key) == "TIMED_OUT"
    assert history(services, key)[-1] == "request.timed_out"
    assert time_out_requests(services) == 0, "a request times out once"
    told = kept.notices[-1]
    assert (told.kind, told.request, told.state) == (NoticeKind.TIMED_OUT, key, "TIMED_OUT")
    assert (
        told.details["reason"]
        == "nobody decided it within 60 minutes: ask again if you still need it"
    )
    with pytest.raises(StateConflict, match="TIMED_OUT"):
        approve_request(services, approver=GRACE, request=key)


def test_a_decided_request_never_times_out(
    services: Services, clock: ManualClock, kept: KeptNotices
) -> None:
    lab_flow(services, approvers=(GRACE,), pending_timeout_minutes=60)
    key = ask(services)
    approve_request(services, approver=GRACE, request=key)
    clock.advance(2 * 60 * 60)
    assert time_out_requests(services) == 0
    assert state(services, key) == "GRANTED"


def _eventually(check: Callable[[], bool], seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()


def test_the_scheduler_escalates_and_times_out_on_its_own(
    services: Services, clock: ManualClock, kept: KeptNotices
) -> None:
    lab_flow(
        services,
        approvers=(GRACE,),
        escalation_minutes=5,
        escalation_users=(SAM,),
        pending_timeout_minutes=60,
    )
    key = ask(services)
    scheduler = ExpiryScheduler(services, interval=0.02)
    scheduler.start()
    try:
        clock.advance(5 * 60)
        assert _eventually(lambda: props(services, key).get("escalated") is True)
        clock.advance(55 * 60)
        assert _eventually(lambda: state(services, key) == "TIMED_OUT")
    finally:
        scheduler.stop()
