"""`pending_approvals` reads the approver's review edges, not every pending request: the
edges follow each step, escalation, end and flow change, so the answer stays exact."""

from __future__ import annotations

from dataclasses import replace

import pytest

from broker import Services, approve_request, cancel_request, reject_request
from broker.demo import DEMO_ADMIN
from broker.flows.save_access_flow import load_flows_into_engine, save_access_flow
from broker.jobs.escalate_requests import escalate_requests
from broker.jobs.time_out_requests import time_out_requests
from broker.reads.queries import pending_approvals
from graph import DeleteEdge, NodeRef
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
from tests.support.read_counter import ReadCounter


@pytest.fixture
def lab(services: Services) -> Services:
    seed_lab(services)
    return services


def _reviewers(services: Services, key: str) -> set[str]:
    edges = services.store.edges("APPROVER", dst=NodeRef("AccessRequest", key))
    return {f"{e.src.kind}:{e.src.key}" for e in edges}


def _awaiting(services: Services, who: str) -> list[str]:
    found = pending_approvals(services, approver=who)
    return [n.key for n in found if n.props.get("resource") == RESOURCE]


def test_the_review_edges_follow_the_steps_and_go_when_the_request_ends(lab: Services) -> None:
    steps = (ApprovalStep(approvers=(GRACE,)), ApprovalStep(approver_groups=("security",)))
    lab_flow(lab, approval_steps=steps)
    key = ask(lab)
    assert _reviewers(lab, key) == {f"User:{GRACE}"}
    approve_request(lab, approver=GRACE, request=key)
    assert _reviewers(lab, key) == {"Group:security"}
    approve_request(lab, approver=SAM, request=key)
    assert _reviewers(lab, key) == set()


@pytest.mark.parametrize("ending", ["reject", "cancel", "time out"])
def test_a_request_that_ends_undecided_leaves_no_review_edge(
    lab: Services, clock: ManualClock, ending: str
) -> None:
    lab_flow(lab, approvers=(GRACE,), approver_groups=("security",))
    key = ask(lab)
    assert _reviewers(lab, key) == {f"User:{GRACE}", "Group:security"}
    if ending == "reject":
        reject_request(lab, approver=SAM, request=key)
    elif ending == "cancel":
        cancel_request(lab, actor=LINUS, request=key)
    else:
        clock.advance(8 * 24 * 3600)
        assert time_out_requests(lab) >= 1
    assert _reviewers(lab, key) == set()
    assert _awaiting(lab, GRACE) == []


def test_escalation_adds_the_tier_to_the_review_edges(lab: Services, clock: ManualClock) -> None:
    lab_flow(lab, approvers=(GRACE,), escalation_minutes=30, escalation_users=(MIA,))
    key = ask(lab)
    clock.advance(31 * 60)
    assert escalate_requests(lab) == 1
    assert _reviewers(lab, key) == {f"User:{GRACE}", f"User:{MIA}"}


def test_a_flow_saved_with_other_approvers_moves_its_pending_requests_queues(
    lab: Services,
) -> None:
    flow = lab_flow(lab, approvers=(GRACE,))
    key = ask(lab)
    save_access_flow(lab, actor=DEMO_ADMIN, flow=replace(flow, approvers=(TOM,)))
    assert _awaiting(lab, TOM) == [key]
    assert _awaiting(lab, GRACE) == []


def test_requests_stored_before_the_edges_are_indexed_at_start(lab: Services) -> None:
    lab_flow(lab, approvers=(GRACE,))
    key = ask(lab)
    lab.store.write([DeleteEdge("APPROVER", NodeRef("User", GRACE), NodeRef("AccessRequest", key))])
    assert _awaiting(lab, GRACE) == []
    load_flows_into_engine(lab)
    assert _awaiting(lab, GRACE) == [key]


def test_a_thousand_pending_requests_for_others_cost_nothing_to_an_approver_of_none(
    lab: Services,
) -> None:
    """The queue is read from the approver's own edges: other people's pending requests
    are never looked at (this took seconds when every pending request was checked)."""
    lab_flow(lab, approvers=(GRACE,))
    ask(lab)
    with_one = _reads_of_an_empty_queue(lab)
    for _ in range(999):
        ask(lab)
    assert _reads_of_an_empty_queue(lab) == with_one
    assert len(with_one) <= 4, "\n".join(with_one)


def _reads_of_an_empty_queue(services: Services) -> list[str]:
    """The reads `pending_approvals` makes for MIA, who reviews nothing."""
    store = services.store
    counter = ReadCounter(store)
    services.store = counter  # type: ignore[assignment]
    try:
        assert pending_approvals(services, approver=MIA) == []
    finally:
        services.store = store
    return [str(read) for read in counter.reads]
