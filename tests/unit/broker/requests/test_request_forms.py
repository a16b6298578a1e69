"""Requests in their forms: default duration, on behalf of someone, a later start, a whole
integration; and bad input refused precisely with the graph unchanged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from broker import AccessDenied, InvalidInput, NotFound, Services, approve_request, audit
from broker._lookup import beneficiary_of
from broker.demo import DEMO_APPROVER, DEMO_AUDITOR, DEMO_GRANTEE
from broker.jobs.start_scheduled import start_scheduled
from broker.reads.queries import active_grants, my_requests
from broker.requests.request_access import request_access
from graph import NodeRef
from tests.support.clock import ManualClock
from tests.support.requests_lab import add_flow, graph_state

ORDERS = "pg-prod/orders"  # the demo's auto-approved flow `orders-quick-look`, max 60 minutes
PAYMENTS = "pg-prod/payments"  # flow `db-readers`: Grace approves, a justification is needed


def _access(services: Services, who: str, resource: NodeRef) -> list[str]:
    edges = services.store.edges("HAS_ACCESS", src=NodeRef("User", who), dst=resource)
    return [e.key for e in edges]


def _for_reports(services: Services) -> None:
    """Engineers may ask for orders on behalf of their direct reports only."""
    add_flow(
        services,
        key="orders-for-reports",
        name="Orders for my reports",
        requestor_groups=("engineering",),
        resources=(ORDERS,),
        for_self=False,
        on_behalf_reports=True,
        max_duration_minutes=60,
    )


def test_a_request_naming_no_duration_gets_its_flows_default(services: Services) -> None:
    """No duration: the matched flow's `default_duration_minutes`, else its maximum."""
    add_flow(
        services,
        key="analytics-peek",
        name="Peek at analytics",
        requestor_groups=("backend",),
        resources=("pg-prod/analytics",),
        max_duration_minutes=120,
        default_duration_minutes=30,
    )
    peek = request_access(
        services, requester=DEMO_GRANTEE, resource="pg-prod/analytics", permissions=["read"]
    )
    assert peek.props["state"] == "GRANTED"
    assert peek.props["duration_minutes"] == 30
    assert peek.props["expires_at"] == peek.props["granted_at"] + 30 * 60
    orders = request_access(services, requester=DEMO_GRANTEE, resource=ORDERS, permissions=["read"])
    assert orders.props["duration_minutes"] == 60, "no default: the flow's maximum"


@pytest.mark.parametrize("minutes", [0, -5])
def test_a_duration_of_zero_or_less_is_invalid_and_changes_nothing(
    services: Services, minutes: int
) -> None:
    before = graph_state(services.store)
    with pytest.raises(InvalidInput, match=rf"duration `{minutes}` minutes must be positive"):
        request_access(
            services,
            requester=DEMO_GRANTEE,
            resource=ORDERS,
            permissions=["read"],
            duration_minutes=minutes,
        )
    assert graph_state(services.store) == before


def test_a_duration_over_the_flows_maximum_is_denied_with_the_explanation(
    services: Services,
) -> None:
    before = graph_state(services.store)
    with pytest.raises(AccessDenied, match="allows at most 240 minutes; you asked for 241"):
        request_access(
            services,
            requester=DEMO_GRANTEE,
            resource=PAYMENTS,
            permissions=["read"],
            duration_minutes=241,
            justification="ticket 9",
        )
    assert graph_state(services.store) == before
    denied = [e for e in audit.read_events(services.store) if e.kind == "request.denied"]
    assert [e.data["duration_minutes"] for e in denied] == [241], "the deny is in the log"


def test_an_unknown_resource_is_not_found_and_changes_nothing(services: Services) -> None:
    before = graph_state(services.store)
    with pytest.raises(NotFound, match="no resource `pg-prod/nope` exists"):
        request_access(
            services, requester=DEMO_GRANTEE, resource="pg-prod/nope", permissions=["read"]
        )
    assert graph_state(services.store) == before


def test_a_request_on_behalf_of_a_report_gives_the_report_the_access(
    services: Services,
) -> None:
    """The beneficiary gets HAS_ACCESS; REQUESTED still comes from the requester."""
    _for_reports(services)
    granted = request_access(
        services,
        requester=DEMO_APPROVER,
        resource=ORDERS,
        permissions=["read"],
        duration_minutes=20,
        beneficiary=DEMO_GRANTEE,
    )
    assert granted.props["state"] == "GRANTED"
    assert granted.props["requester"] == DEMO_APPROVER
    assert granted.props["beneficiary"] == DEMO_GRANTEE
    assert _access(services, DEMO_GRANTEE, NodeRef("Resource", ORDERS)) == [granted.key]
    assert _access(services, DEMO_APPROVER, NodeRef("Resource", ORDERS)) == []
    requested = services.store.edges("REQUESTED", dst=granted.ref)
    assert [e.src for e in requested] == [NodeRef("User", DEMO_APPROVER)]
    assert beneficiary_of(services.store, granted) == NodeRef("User", DEMO_GRANTEE)
    grant = services.store.get_node("Grant", granted.key)
    assert grant is not None and grant.props["identity"] == DEMO_GRANTEE


def test_access_asked_on_someones_behalf_is_listed_as_theirs_not_the_askers(
    services: Services,
) -> None:
    """Both see the request; only the beneficiary holds the grant."""
    _for_reports(services)
    granted = request_access(
        services,
        requester=DEMO_APPROVER,
        resource=ORDERS,
        permissions=["read"],
        duration_minutes=20,
        beneficiary=DEMO_GRANTEE,
    )
    for who in (DEMO_APPROVER, DEMO_GRANTEE):
        assert [n.key for n in my_requests(services, user=who)] == [granted.key]
    assert [n.key for n in active_grants(services, viewer=DEMO_GRANTEE)] == [granted.key]
    assert active_grants(services, viewer=DEMO_APPROVER) == []


def test_a_request_for_oneself_has_the_requester_as_beneficiary(services: Services) -> None:
    mine = request_access(
        services, requester=DEMO_GRANTEE, resource=ORDERS, permissions=["read"], beneficiary=None
    )
    assert beneficiary_of(services.store, mine) == NodeRef("User", DEMO_GRANTEE)


def test_a_request_on_behalf_of_an_unknown_user_is_not_found_and_changes_nothing(
    services: Services,
) -> None:
    _for_reports(services)
    before = graph_state(services.store)
    with pytest.raises(NotFound, match=r"no user `ghost@acme\.example` exists"):
        request_access(
            services,
            requester=DEMO_APPROVER,
            resource=ORDERS,
            permissions=["read"],
            beneficiary="ghost@acme.example",
        )
    assert graph_state(services.store) == before


def test_a_request_on_behalf_of_someone_no_flow_allows_is_denied_and_changes_nothing(
    services: Services,
) -> None:
    _for_reports(services)
    before = graph_state(services.store)
    with pytest.raises(AccessDenied, match=f"`{DEMO_AUDITOR}` is not one of your reports"):
        request_access(
            services,
            requester=DEMO_APPROVER,
            resource=ORDERS,
            permissions=["read"],
            beneficiary=DEMO_AUDITOR,
        )
    assert graph_state(services.store) == before


def test_a_start_time_in_the_past_is_invalid_and_changes_nothing(
    services: Services, clock: ManualClock
) -> None:
    before = graph_state(services.store)
    with pytest.raises(InvalidInput, match="is a start time in the past"):
        request_access(
            services,
            requester=DEMO_GRANTEE,
            resource=ORDERS,
            permissions=["read"],
            starts_at=clock() - 1,
        )
    assert graph_state(services.store) == before


def test_an_auto_approved_request_with_a_later_start_is_granted_then_and_not_before(
    services: Services, clock: ManualClock
) -> None:
    """APPROVED until `starts_at`; `start_scheduled` grants it; expiry counts from the grant."""
    starts_at = clock() + 3600
    waiting = request_access(
        services,
        requester=DEMO_GRANTEE,
        resource=ORDERS,
        permissions=["read"],
        duration_minutes=15,
        starts_at=starts_at,
    )
    assert waiting.props["state"] == "APPROVED"
    assert waiting.props["starts_at"] == starts_at
    assert _access(services, DEMO_GRANTEE, NodeRef("Resource", ORDERS)) == []
    clock.advance(3599)
    assert start_scheduled(services) == 0
    clock.advance(1)
    assert start_scheduled(services) == 1
    assert start_scheduled(services) == 0, "a started request is never started twice"
    granted = services.store.get_node("AccessRequest", waiting.key)
    assert granted is not None and granted.props["state"] == "GRANTED"
    assert granted.props["granted_at"] == starts_at
    assert granted.props["expires_at"] == starts_at + 15 * 60
    assert _access(services, DEMO_GRANTEE, NodeRef("Resource", ORDERS)) == [waiting.key]


def test_a_reviewed_request_with_a_later_start_waits_approved_after_approval(
    services: Services, clock: ManualClock
) -> None:
    starts_at = clock() + 7200
    pending = request_access(
        services,
        requester=DEMO_GRANTEE,
        resource=PAYMENTS,
        permissions=["read"],
        duration_minutes=60,
        justification="ticket 7",
        starts_at=starts_at,
    )
    assert pending.props["state"] == "PENDING"
    approved = approve_request(services, approver=DEMO_APPROVER, request=pending.key)
    assert approved.props["state"] == "APPROVED"
    assert _access(services, DEMO_GRANTEE, NodeRef("Resource", PAYMENTS)) == []
    clock.advance(7200)
    assert start_scheduled(services) == 1
    assert _access(services, DEMO_GRANTEE, NodeRef("Resource", PAYMENTS)) == [pending.key]


def test_a_request_for_a_whole_integration_grants_access_to_the_integration(
    services: Services,
) -> None:
    add_flow(
        services,
        key="pg-prod-whole",
        name="All of pg-prod",
        requestor_groups=("backend",),
        integrations=("pg-prod",),
        max_duration_minutes=30,
    )
    granted = request_access(
        services, requester=DEMO_GRANTEE, resource="pg-prod", permissions=["read"]
    )
    assert granted.props["state"] == "GRANTED"
    assert _access(services, DEMO_GRANTEE, NodeRef("Integration", "pg-prod")) == [granted.key]


def test_a_later_start_is_judged_by_the_flows_time_window_at_that_start(
    services: Services, clock: ManualClock
) -> None:
    """A flow open Mondays 09:00-17:00 UTC: asked at 06:00 for 10:00 it allows (and the
    request waits); for 18:00, or at once, it does not."""
    now = datetime.fromtimestamp(clock(), tz=UTC)
    monday = (now + timedelta(days=(7 - now.weekday()) % 7 or 7)).replace(
        hour=6, minute=0, second=0, microsecond=0
    )
    clock.advance(monday.timestamp() - clock())
    add_flow(
        services,
        key="analytics-office-hours",
        name="Analytics in office hours",
        requestor_groups=("backend",),
        resources=("pg-prod/analytics",),
        window_days=("mon",),
        window_start="09:00",
        window_end="17:00",
        time_zone="UTC",
    )

    def ask(starts_at: float | None) -> str:
        return str(
            request_access(
                services,
                requester=DEMO_GRANTEE,
                resource="pg-prod/analytics",
                permissions=["read"],
                starts_at=starts_at,
            ).props["state"]
        )

    assert ask(monday.timestamp() + 4 * 3600) == "APPROVED"
    with pytest.raises(AccessDenied):
        ask(None)
    with pytest.raises(AccessDenied):
        ask(monday.timestamp() + 12 * 3600)
