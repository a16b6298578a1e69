"""Request again: a finished request is asked afresh, linked to it; a live one is not."""

from __future__ import annotations

import pytest

from broker import Forbidden, Services, StateConflict, expire_due_grants, reject_request
from broker.demo import DEMO_ADMIN, DEMO_APPROVER, DEMO_GRANTEE
from broker.requests.cancel_request import cancel_request
from broker.requests.request_access import request_access
from broker.requests.request_again import request_again
from graph import Node
from tests.support.clock import ManualClock
from tests.support.requests_lab import add_flow, graph_state


def _pending(services: Services) -> Node:
    return request_access(
        services,
        requester=DEMO_GRANTEE,
        resource="pg-prod/payments",
        permissions=["read"],
        duration_minutes=45,
        justification="ticket 5",
    )


def test_asking_again_after_a_rejection_repeats_the_request_and_links_it(
    services: Services,
) -> None:
    first = _pending(services)
    reject_request(services, approver=DEMO_APPROVER, request=first.key, reason="not now")
    again = request_again(services, requester=DEMO_GRANTEE, previous=first.key)
    assert again.key != first.key
    assert again.props["state"] == "PENDING"
    assert again.props["previous"] == first.key
    for same in ("resource", "permissions", "duration_minutes", "justification", "beneficiary"):
        assert again.props[same] == first.props[same], same


def test_asking_again_may_change_duration_and_justification(services: Services) -> None:
    first = _pending(services)
    cancel_request(services, actor=DEMO_GRANTEE, request=first.key)
    again = request_again(
        services,
        requester=DEMO_GRANTEE,
        previous=first.key,
        duration_minutes=90,
        justification="ticket 6",
    )
    assert (again.props["duration_minutes"], again.props["justification"]) == (90, "ticket 6")


def test_asking_again_after_expiry_grants_again_on_an_auto_approved_flow(
    services: Services, clock: ManualClock
) -> None:
    first = request_access(
        services,
        requester=DEMO_GRANTEE,
        resource="pg-prod/orders",
        permissions=["read"],
        duration_minutes=10,
    )
    clock.advance(10 * 60)
    assert expire_due_grants(services) == [first.key]
    again = request_again(services, requester=DEMO_GRANTEE, previous=first.key)
    assert again.props["state"] == "GRANTED"
    assert again.props["expires_at"] == clock() + 10 * 60


def test_asking_again_on_behalf_keeps_the_beneficiary(services: Services) -> None:
    add_flow(
        services,
        key="orders-for-reports",
        name="Orders for my reports",
        requestor_groups=("engineering",),
        resources=("pg-prod/orders",),
        for_self=False,
        on_behalf_reports=True,
        approvers=(DEMO_ADMIN,),
    )
    first = request_access(
        services,
        requester=DEMO_APPROVER,
        resource="pg-prod/orders",
        permissions=["read"],
        duration_minutes=10,
        beneficiary=DEMO_GRANTEE,
    )
    cancel_request(services, actor=DEMO_APPROVER, request=first.key)
    again = request_again(services, requester=DEMO_APPROVER, previous=first.key)
    assert (again.props["requester"], again.props["beneficiary"]) == (DEMO_APPROVER, DEMO_GRANTEE)


def test_asking_again_for_a_live_request_is_a_conflict_and_changes_nothing(
    services: Services,
) -> None:
    live = _pending(services)
    before = graph_state(services.store)
    with pytest.raises(StateConflict, match="is PENDING, not finished"):
        request_again(services, requester=DEMO_GRANTEE, previous=live.key)
    assert graph_state(services.store) == before


def test_only_the_requester_may_ask_again(services: Services) -> None:
    first = _pending(services)
    cancel_request(services, actor=DEMO_GRANTEE, request=first.key)
    before = graph_state(services.store)
    with pytest.raises(Forbidden, match="only its requester may ask again"):
        request_again(services, requester=DEMO_APPROVER, previous=first.key)
    assert graph_state(services.store) == before
