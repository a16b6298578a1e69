"""A request with a later start is decided again when that start comes, and its start is
bounded by the flow's `max_lead_days`."""

from __future__ import annotations

from dataclasses import replace

import pytest

from broker import InvalidInput, Services, approve_request, audit
from broker.demo import DEMO_ADMIN, DEMO_APPROVER, DEMO_FLOWS, DEMO_GRANTEE
from broker.flows.save_access_flow import save_access_flow
from broker.flows.save_forbid_rule import save_forbid_rule
from broker.jobs.start_scheduled import start_scheduled
from broker.requests.request_access import request_access
from graph import NodeRef
from policies.flows import AccessFlow
from policies.forbid import ForbidRule
from tests.support.clock import ManualClock
from tests.support.requests_lab import graph_state

ORDERS = "pg-prod/orders"  # auto-approved by the demo flow `orders-quick-look`
PAYMENTS = "pg-prod/payments"  # flow `db-readers`: Grace approves
DAY = 24 * 60 * 60


def _later(services: Services, clock: ManualClock, resource: str = ORDERS) -> str:
    node = request_access(
        services,
        requester=DEMO_GRANTEE,
        resource=resource,
        permissions=["read"],
        duration_minutes=15,
        justification="" if resource == ORDERS else "ticket 7",
        starts_at=clock() + 3600,
    )
    if node.props["state"] == "PENDING":
        approve_request(services, approver=DEMO_APPROVER, request=node.key)
    return node.key


def _state(services: Services, key: str) -> str:
    node = services.store.get_node("AccessRequest", key)
    assert node is not None
    return str(node.props["state"])


def _access(services: Services, resource: str) -> list[str]:
    edges = services.store.edges(
        "HAS_ACCESS", src=NodeRef("User", DEMO_GRANTEE), dst=NodeRef("Resource", resource)
    )
    return [e.key for e in edges]


def _flow(key: str) -> AccessFlow:
    return next(f for f in DEMO_FLOWS if f.key == key)


def test_a_flow_disabled_before_the_start_ends_the_request_cancelled_not_granted(
    services: Services, clock: ManualClock
) -> None:
    key = _later(services, clock)
    assert _state(services, key) == "APPROVED"
    disabled = replace(_flow("orders-quick-look"), enabled=False)
    save_access_flow(services, actor=DEMO_ADMIN, flow=disabled)
    clock.advance(3600)
    assert start_scheduled(services) == 0
    assert _state(services, key) == "CANCELLED"
    assert _access(services, ORDERS) == []
    node = services.store.get_node("AccessRequest", key)
    assert node is not None and "not granted at its start" in str(node.props["reason"])
    kinds = [e.kind for e in audit.read_events(services.store) if e.subject == key]
    assert kinds[-1] == "request.refused_at_start"
    assert start_scheduled(services) == 0, "a cancelled request is never started"


def test_a_forbid_rule_added_before_the_start_ends_a_reviewed_request_cancelled(
    services: Services, clock: ManualClock
) -> None:
    key = _later(services, clock, PAYMENTS)
    assert _state(services, key) == "APPROVED"
    rule = ForbidRule(key="no-pci", tags=("pci",))
    save_forbid_rule(services, actor=DEMO_ADMIN, rule=rule)
    clock.advance(3600)
    assert start_scheduled(services) == 0
    assert _state(services, key) == "CANCELLED"
    assert _access(services, PAYMENTS) == []


def test_a_request_still_allowed_at_its_start_is_granted_then(
    services: Services, clock: ManualClock
) -> None:
    key = _later(services, clock)
    clock.advance(3600)
    assert start_scheduled(services) == 1
    assert _state(services, key) == "GRANTED"
    assert _access(services, ORDERS) == [key]


def test_a_start_beyond_the_flows_lead_time_is_invalid_and_stores_nothing(
    services: Services, clock: ManualClock
) -> None:
    before = graph_state(services.store)
    with pytest.raises(InvalidInput, match=r"more than 30 day\(s\) ahead.*`orders-quick-look`"):
        request_access(
            services,
            requester=DEMO_GRANTEE,
            resource=ORDERS,
            permissions=["read"],
            starts_at=clock() + 31 * DAY,
        )
    assert graph_state(services.store) == before


def test_a_start_within_the_flows_lead_time_is_accepted(
    services: Services, clock: ManualClock
) -> None:
    node = request_access(
        services,
        requester=DEMO_GRANTEE,
        resource=ORDERS,
        permissions=["read"],
        starts_at=clock() + 30 * DAY,
    )
    assert node.props["state"] == "APPROVED"


def test_a_flow_may_shorten_or_forbid_later_starts(services: Services, clock: ManualClock) -> None:
    save_access_flow(
        services, actor=DEMO_ADMIN, flow=replace(_flow("orders-quick-look"), max_lead_days=0)
    )
    with pytest.raises(InvalidInput, match="grants access at once only"):
        request_access(
            services,
            requester=DEMO_GRANTEE,
            resource=ORDERS,
            permissions=["read"],
            starts_at=clock() + 60,
        )


@pytest.mark.parametrize("ahead", [366 * DAY, 10**12, float("inf"), float("nan")])
def test_a_start_no_flow_could_allow_is_invalid_before_any_decision(
    services: Services, clock: ManualClock, ahead: float
) -> None:
    with pytest.raises(InvalidInput, match="start"):
        request_access(
            services,
            requester=DEMO_GRANTEE,
            resource=ORDERS,
            permissions=["read"],
            starts_at=clock() + ahead,
        )


def test_a_flow_lead_time_past_the_most_any_flow_may_allow_is_invalid(
    services: Services,
) -> None:
    with pytest.raises(InvalidInput, match="max_lead_days `400` must be between 0 and 365"):
        save_access_flow(
            services, actor=DEMO_ADMIN, flow=replace(_flow("orders-quick-look"), max_lead_days=400)
        )
