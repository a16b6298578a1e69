"""An all-of step that names the requester (or the beneficiary) still needs as many distinct
approvals as it names, someone else standing in for them; one that nobody else could fill
is refused when the request is made."""

from __future__ import annotations

import pytest

from broker import Forbidden, InvalidInput, Services, approve_request
from policies.approval_steps import ApprovalStep
from tests.support.approval_lab import GRACE, LINUS, MIA, SAM, TOM, ask, lab_flow, seed_lab
from tests.support.requests_lab import graph_state


@pytest.fixture
def lab(services: Services) -> Services:
    seed_lab(services)
    return services


def _state(services: Services, key: str) -> str:
    node = services.store.get_node("AccessRequest", key)
    assert node is not None
    return str(node.props["state"])


def test_an_all_of_step_naming_the_requester_needs_as_many_approvals_from_others(
    lab: Services,
) -> None:
    """SAM, TOM and the engineering group, all of them, asked by SAM: SAM may not approve,
    so someone else the step names stands in; the step still needs three people."""
    lab_flow(lab, approvers=(SAM, TOM), approver_groups=("engineering",), approval_mode="all")
    key = ask(lab, requester=SAM)
    with pytest.raises(Forbidden, match="your own request"):
        approve_request(lab, approver=SAM, request=key)
    approve_request(lab, approver=TOM, request=key)
    approve_request(lab, approver=GRACE, request=key)
    assert _state(lab, key) == "PENDING", "two approvals for a step that names three"
    approve_request(lab, approver=LINUS, request=key)
    assert _state(lab, key) == "GRANTED"


def test_an_all_of_step_of_named_people_that_includes_the_requester_is_refused_at_creation(
    lab: Services,
) -> None:
    """SAM, TOM and GRACE, all of them, asked by SAM: only two others could approve, and
    the step needs three approvals, so it could never complete."""
    lab_flow(lab, approvers=(SAM, TOM, GRACE), approval_mode="all")
    before = graph_state(lab.store)
    with pytest.raises(InvalidInput, match="no one could ever approve flow `lab-access`"):
        ask(lab, requester=SAM)
    assert graph_state(lab.store) == before


def test_an_all_of_step_naming_the_beneficiary_needs_someone_else_in_their_place(
    lab: Services,
) -> None:
    """TOM, MIA and the engineering group, all of them, asked by SAM for TOM: TOM may not
    approve access for himself, so the step still needs three other people."""
    lab_flow(
        lab,
        approvers=(TOM, MIA),
        approver_groups=("engineering",),
        approval_mode="all",
        on_behalf_users=(TOM,),
    )
    key = ask(lab, requester=SAM, beneficiary=TOM)
    with pytest.raises(Forbidden, match="asks access for you"):
        approve_request(lab, approver=TOM, request=key)
    approve_request(lab, approver=MIA, request=key)
    approve_request(lab, approver=GRACE, request=key)
    assert _state(lab, key) == "PENDING", "two approvals for a step that names three"
    approve_request(lab, approver=LINUS, request=key)
    assert _state(lab, key) == "GRANTED"


def test_an_all_of_group_step_does_not_count_the_requesters_membership(lab: Services) -> None:
    lab_flow(lab, approver_groups=("security",), approvers=(MIA,), approval_mode="all")
    key = ask(lab, requester=SAM)
    approve_request(lab, approver=MIA, request=key)
    assert _state(lab, key) == "PENDING", "security still needs a member other than SAM"
    approve_request(lab, approver=TOM, request=key)
    assert _state(lab, key) == "GRANTED"


def test_an_all_of_step_naming_only_the_requester_is_refused_at_creation(lab: Services) -> None:
    steps = (ApprovalStep(approvers=(GRACE,)), ApprovalStep(approvers=(SAM,), mode="all"))
    lab_flow(lab, approval_steps=steps)
    before = graph_state(lab.store)
    with pytest.raises(InvalidInput, match="no one could ever approve step 2 of flow `lab-access`"):
        ask(lab, requester=SAM)
    assert graph_state(lab.store) == before


def test_an_all_of_step_whose_needs_only_one_eligible_person_could_fill_is_refused(
    lab: Services,
) -> None:
    """TOM by name and a member of security, asked by SAM: TOM is the only member left, and
    one person counts once, so nobody could ever complete the step."""
    lab_flow(lab, approvers=(TOM,), approver_groups=("security",), approval_mode="all")
    before = graph_state(lab.store)
    with pytest.raises(InvalidInput, match="no one could ever approve flow `lab-access`"):
        ask(lab, requester=SAM)
    assert graph_state(lab.store) == before
    assert _state(lab, ask(lab, requester=LINUS)) == "PENDING", "SAM and TOM may, for LINUS"
