"""Approval plans of every shape, through the real broker on both graph backends."""

from __future__ import annotations

import pytest

from broker import Forbidden, InvalidInput, Services, StateConflict, approve_request
from broker.notify import NoticeKind
from broker.requests.reject_request import reject_request
from graph import NodeRef, SetProps, UpsertEdge
from policies.approval_steps import ApprovalStep
from tests.support.approval_lab import (
    GRACE,
    LINUS,
    MIA,
    SAM,
    TOM,
    KeptNotices,
    approved_steps,
    ask,
    grants,
    history,
    lab_flow,
    props,
    seed_lab,
    state,
)


@pytest.fixture
def kept(services: Services) -> KeptNotices:
    return seed_lab(services)


def test_the_requesters_manager_approves_a_manager_flow(
    services: Services, kept: KeptNotices
) -> None:
    lab_flow(services, approver_manager=True)
    key = ask(services)
    with pytest.raises(Forbidden, match="not an approver"):
        approve_request(services, approver=SAM, request=key)
    assert state(services, key) == "PENDING"
    approve_request(services, approver=GRACE, request=key)
    assert state(services, key) == "GRANTED"
    assert approved_steps(services, key) == {GRACE: 0}


def test_a_manager_flow_refuses_a_requester_without_manager_and_stores_nothing(
    services: Services, kept: KeptNotices
) -> None:
    lab_flow(services, approver_manager=True)
    with pytest.raises(InvalidInput, match=f"`{SAM}` has no manager in the directory"):
        ask(services, requester=SAM)
    assert services.store.find_nodes("AccessRequest") == []


def test_any_of_named_approvers_one_approval_grants(services: Services, kept: KeptNotices) -> None:
    lab_flow(services, approvers=(GRACE, SAM))
    key = ask(services)
    approve_request(services, approver=SAM, request=key)
    assert state(services, key) == "GRANTED"
    assert grants(services) == 1


def test_a_member_of_an_approver_group_approves_and_an_outsider_cannot(
    services: Services, kept: KeptNotices
) -> None:
    lab_flow(services, approver_groups=("security",))
    key = ask(services)
    with pytest.raises(Forbidden, match="not an approver"):
        approve_request(services, approver=MIA, request=key)
    approve_request(services, approver=TOM, request=key)
    assert state(services, key) == "GRANTED"


def test_all_of_waits_for_every_named_approver(services: Services, kept: KeptNotices) -> None:
    lab_flow(services, approvers=(GRACE, SAM), approval_mode="all")
    key = ask(services)
    partial = approve_request(services, approver=GRACE, request=key, reason="fine by me")
    assert partial.props["state"] == "PENDING"
    assert history(services, key)[-1] == "approval.recorded"
    assert grants(services) == 0
    approve_request(services, approver=SAM, request=key)
    assert state(services, key) == "GRANTED"
    assert "request.approved" in history(services, key)
    assert approved_steps(services, key) == {GRACE: 0, SAM: 0}


def test_all_of_groups_need_one_approval_from_each_group(
    services: Services, kept: KeptNotices
) -> None:
    lab_flow(services, approver_groups=("security", "dba"), approval_mode="all")
    key = ask(services)
    approve_request(services, approver=SAM, request=key)
    approve_request(services, approver=TOM, request=key)
    assert state(services, key) == "PENDING", "two approvals from one group are not both groups"
    approve_request(services, approver=MIA, request=key)
    assert state(services, key) == "GRANTED"


def test_the_same_person_twice_is_a_conflict_and_changes_nothing(
    services: Services, kept: KeptNotices
) -> None:
    lab_flow(services, approvers=(GRACE, SAM), approval_mode="all")
    key = ask(services)
    approve_request(services, approver=GRACE, request=key)
    before, events = props(services, key), history(services, key)
    with pytest.raises(StateConflict, match=r"already approved.*one person counts once"):
        approve_request(services, approver=GRACE, request=key)
    assert props(services, key) == before
    assert history(services, key) == events


def test_ordered_steps_advance_one_at_a_time_and_tell_the_next_approvers(
    services: Services, kept: KeptNotices
) -> None:
    lab_flow(
        services,
        approval_steps=(ApprovalStep(manager=True), ApprovalStep(approver_groups=("security",))),
    )
    key = ask(services)
    created = [n for n in kept.notices if n.kind is NoticeKind.REQUEST_CREATED]
    assert [n.approvers for n in created] == [(GRACE,)]
    with pytest.raises(Forbidden, match="not an approver"):
        approve_request(services, approver=SAM, request=key)
    approve_request(services, approver=GRACE, request=key)
    assert state(services, key) == "PENDING"
    assert props(services, key)["approval_step"] == 1
    review = [n for n in kept.notices if n.kind is NoticeKind.REQUEST_CREATED][-1]
    assert review.approvers == (SAM, TOM)
    with pytest.raises(Forbidden, match="not an approver"):
        approve_request(services, approver=MIA, request=key)
    approve_request(services, approver=TOM, request=key)
    assert state(services, key) == "GRANTED"
    assert approved_steps(services, key) == {GRACE: 0, TOM: 1}


def test_a_requester_never_approves_their_own_request_even_through_a_group(
    services: Services, kept: KeptNotices
) -> None:
    lab_flow(services, approver_groups=("security",))
    key = ask(services, requester=SAM)
    with pytest.raises(Forbidden, match="own request"):
        approve_request(services, approver=SAM, request=key)
    assert state(services, key) == "PENDING"
    created = [n for n in kept.notices if n.kind is NoticeKind.REQUEST_CREATED]
    assert created[0].approvers == (TOM,), "the requester is not asked to review"


def test_a_flow_only_the_requester_could_approve_is_refused_at_the_request(
    services: Services, kept: KeptNotices
) -> None:
    lab_flow(services, approvers=(SAM,))
    with pytest.raises(InvalidInput, match="no one could ever approve flow `lab-access`"):
        ask(services, requester=SAM)
    assert services.store.find_nodes("AccessRequest") == []


def test_approving_without_the_reason_the_flow_requires_is_refused(
    services: Services, kept: KeptNotices
) -> None:
    lab_flow(services, approvers=(GRACE,), approver_reason_required=True)
    key = ask(services)
    with pytest.raises(InvalidInput, match="needs the approver's reason: say why you approve"):
        approve_request(services, approver=GRACE, request=key, reason="  ")
    with pytest.raises(InvalidInput, match="say why you reject"):
        reject_request(services, approver=GRACE, request=key)
    assert state(services, key) == "PENDING"
    assert approved_steps(services, key) == {}
    approve_request(services, approver=GRACE, request=key, reason="on call this week")
    edges = services.store.edges("APPROVED", dst=NodeRef("AccessRequest", key))
    assert [e.props["reason"] for e in edges] == ["on call this week"]


def test_a_step_approver_rejects_and_the_request_ends(
    services: Services, kept: KeptNotices
) -> None:
    lab_flow(services, approvers=(GRACE, SAM), approval_mode="all")
    key = ask(services)
    approve_request(services, approver=GRACE, request=key)
    with pytest.raises(Forbidden, match="not an approver"):
        reject_request(services, approver=MIA, request=key)
    reject_request(services, approver=SAM, request=key, reason="not this week")
    assert state(services, key) == "REJECTED"
    with pytest.raises(StateConflict, match="REJECTED"):
        approve_request(services, approver=SAM, request=key)


def test_approving_a_finished_request_is_a_conflict(services: Services, kept: KeptNotices) -> None:
    lab_flow(services, approvers=(GRACE, SAM))
    key = ask(services)
    approve_request(services, approver=GRACE, request=key)
    before = props(services, key)
    with pytest.raises(StateConflict, match="is GRANTED: only a PENDING request is decided"):
        approve_request(services, approver=SAM, request=key)
    assert props(services, key) == before
    assert grants(services) == 1


def test_the_beneficiary_of_a_request_on_their_behalf_cannot_approve_it(
    services: Services, kept: KeptNotices
) -> None:
    lab_flow(services, approvers=(SAM, TOM), on_behalf_users=(SAM,))
    key = ask(services, requester=LINUS, beneficiary=SAM)
    with pytest.raises(Forbidden, match="asks access for you"):
        approve_request(services, approver=SAM, request=key)
    approve_request(services, approver=TOM, request=key)
    assert state(services, key) == "GRANTED"


def test_one_person_in_both_required_groups_counts_once(
    services: Services, kept: KeptNotices
) -> None:
    services.store.write([UpsertEdge("MEMBER_OF", NodeRef("User", SAM), NodeRef("Group", "dba"))])
    lab_flow(services, approver_groups=("security", "dba"), approval_mode="all")
    key = ask(services)
    approve_request(services, approver=SAM, request=key)
    assert state(services, key) == "PENDING"
    with pytest.raises(StateConflict, match="one person counts once"):
        approve_request(services, approver=SAM, request=key)
    approve_request(services, approver=MIA, request=key)
    assert state(services, key) == "GRANTED"


def test_an_all_of_flow_naming_a_disabled_approver_is_refused_at_the_request(
    services: Services, kept: KeptNotices
) -> None:
    lab_flow(services, approvers=(GRACE, SAM), approval_mode="all")
    services.store.write([SetProps("User", SAM, {"disabled": True})])
    with pytest.raises(InvalidInput, match=f"nobody can approve for `{SAM}`"):
        ask(services)
    assert services.store.find_nodes("AccessRequest") == []
