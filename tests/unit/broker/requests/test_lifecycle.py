"""Request, approve, grant and expire through the broker, on both graph backends."""

from __future__ import annotations

import threading

import pytest

from api.server import open_services
from broker import (
    AccessDenied,
    Forbidden,
    InvalidInput,
    NotFound,
    Services,
    StateConflict,
    approve_request,
    expire_due_grants,
    reject_request,
    request_access,
)
from broker.demo import DEMO_ADMIN, DEMO_APPROVER, DEMO_AUDITOR, DEMO_GRANTEE
from graph import NodeRef
from tests.support.clock import ManualClock


def _ask(services: Services, minutes: int = 60, resource: str = "pg-prod/payments") -> str:
    node = request_access(
        services,
        requester=DEMO_GRANTEE,
        resource=resource,
        permissions=["read"],
        duration_minutes=minutes,
        justification="ticket 12",
    )
    return node.key


def _access(services: Services, resource: str = "pg-prod/payments") -> list[str]:
    edges = services.store.edges(
        "HAS_ACCESS", src=NodeRef("User", DEMO_GRANTEE), dst=NodeRef("Resource", resource)
    )
    return [e.key for e in edges]


def _state(services: Services, key: str) -> str:
    node = services.store.get_node("AccessRequest", key)
    assert node is not None
    return str(node.props["state"])


def test_approved_request_is_granted_until_expires_at(
    services: Services, clock: ManualClock
) -> None:
    key = _ask(services, minutes=90)
    assert _state(services, key) == "PENDING"
    granted = approve_request(services, approver=DEMO_APPROVER, request=key)
    assert granted.props["state"] == "GRANTED"
    assert granted.props["expires_at"] == granted.props["granted_at"] + 90 * 60
    assert _access(services) == [key]

    clock.advance(90 * 60 - 1)
    assert expire_due_grants(services) == []
    clock.advance(1)
    assert expire_due_grants(services) == [key]
    assert _state(services, key) == "EXPIRED"
    assert _access(services) == []
    assert expire_due_grants(services) == [], "an expired grant is never expired twice"


def test_concurrent_approvals_make_exactly_one_grant(services: Services) -> None:
    key = _ask(services)
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def approve() -> None:
        barrier.wait()
        try:
            approve_request(services, approver=DEMO_APPROVER, request=key)
            outcomes.append("won")
        except StateConflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=approve) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "conflict", "conflict", "won"]
    assert _access(services) == [key]
    assert len(services.store.find_nodes("Grant")) == 1


def test_approve_and_reject_race_has_one_winner(services: Services) -> None:
    key = _ask(services)
    reject_request(services, approver=DEMO_APPROVER, request=key, reason="not now")
    with pytest.raises(StateConflict, match="REJECTED"):
        approve_request(services, approver=DEMO_APPROVER, request=key)
    assert _access(services) == []


def test_a_request_only_its_requester_could_approve_is_refused_up_front(
    services: Services,
) -> None:
    # A requester never approves their own request (tests/unit/broker/test_approval_plans.py),
    # so a request whose flow names only them as approver could never be decided.
    with pytest.raises(InvalidInput, match="no one could ever approve flow `db-readers`"):
        request_access(
            services,
            requester=DEMO_APPROVER,
            resource="pg-prod/orders",
            permissions=["read"],
            duration_minutes=30,
            justification="checking an order",
        )
    assert services.store.find_nodes("AccessRequest") == []


def test_someone_outside_the_flow_cannot_approve(services: Services) -> None:
    key = _ask(services)
    with pytest.raises(Forbidden, match=f"not an approver of request `{key}` now"):
        approve_request(services, approver=DEMO_AUDITOR, request=key)
    assert _state(services, key) == "PENDING"


def test_denied_request_stores_nothing_and_explains(services: Services) -> None:
    with pytest.raises(AccessDenied, match=r"`pg-prod/payments`.*justification"):
        request_access(
            services,
            requester=DEMO_GRANTEE,
            resource="pg-prod/payments",
            permissions=["read"],
            duration_minutes=30,
        )
    # The admin may request access (the API policies) but no flow covers them.
    with pytest.raises(AccessDenied, match=r"`pg-prod/payments`"):
        request_access(
            services,
            requester=DEMO_ADMIN,
            resource="pg-prod/payments",
            permissions=["read"],
            duration_minutes=30,
            justification="audit",
        )
    assert services.store.find_nodes("AccessRequest") == []


@pytest.mark.parametrize(
    ("requester", "resource", "minutes", "error", "words"),
    [
        ("nobody@acme.example", "pg-prod/orders", 30, NotFound, "no user `nobody@acme.example`"),
        (DEMO_GRANTEE, "pg-prod/missing", 30, NotFound, "no resource `pg-prod/missing`"),
        (DEMO_GRANTEE, "pg-prod/orders", 0, InvalidInput, "must be positive"),
        (DEMO_GRANTEE, "pg-prod/orders", -5, InvalidInput, "must be positive"),
    ],
)
def test_bad_request_input_is_refused_precisely(
    services: Services,
    requester: str,
    resource: str,
    minutes: int,
    error: type[Exception],
    words: str,
) -> None:
    with pytest.raises(error, match=words):
        request_access(
            services,
            requester=requester,
            resource=resource,
            permissions=["read"],
            duration_minutes=minutes,
        )
    assert services.store.find_nodes("AccessRequest") == []


def test_grants_that_fell_due_while_down_expire_at_restart(
    services: Services, clock: ManualClock, graph_url: str
) -> None:
    key = _ask(services, minutes=30)
    approve_request(services, approver=DEMO_APPROVER, request=key)
    services.store.close()

    clock.advance(3 * 3600)  # Keyturn was down across the expiry time
    reopened = open_services(graph_url)
    reopened.clock = clock
    try:
        assert expire_due_grants(reopened) == [key]
        assert _access(reopened) == []
    finally:
        reopened.store.close()
    services.store = open_services(graph_url).store  # the fixture closes this one
