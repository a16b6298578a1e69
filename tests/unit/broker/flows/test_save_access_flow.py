"""Saving access flows: admins only, every reference checked, nothing half-saved."""

from __future__ import annotations

import dataclasses

import pytest

from broker import AccessDenied, Forbidden, InvalidInput, Services, request_access
from broker.demo import DEMO_ADMIN, DEMO_FLOWS, DEMO_GRANTEE
from broker.flows.save_access_flow import save_access_flow
from graph import NodeRef
from policies.flows import AccessFlow

ANALYTICS = AccessFlow(
    key="analytics",
    name="Analytics",
    requestor_groups=("backend",),
    resources=("pg-prod/analytics",),
    max_duration_minutes=30,
)


def _ask_analytics(services: Services) -> str:
    node = request_access(
        services,
        requester=DEMO_GRANTEE,
        resource="pg-prod/analytics",
        permissions=["read"],
        duration_minutes=20,
    )
    return str(node.props["flow"])


def test_saved_flow_decides_the_next_request(services: Services) -> None:
    save_access_flow(services, actor=DEMO_ADMIN, flow=ANALYTICS)
    assert _ask_analytics(services) == "analytics"
    covers = services.store.edges("COVERS", src=NodeRef("AccessFlow", "analytics"))
    assert [e.dst for e in covers] == [NodeRef("Resource", "pg-prod/analytics")]


def test_only_admins_save_flows(services: Services) -> None:
    with pytest.raises(Forbidden, match="only admins may manage access flows"):
        save_access_flow(services, actor=DEMO_GRANTEE, flow=ANALYTICS)
    assert services.store.get_node("AccessFlow", "analytics") is None


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"requestor_groups": ("ghosts",)}, "group `ghosts`, which does not exist"),
        ({"resources": ("pg-prod/nope",)}, "resource `pg-prod/nope`, which does not exist"),
        ({"approvers": ("who@acme.example",)}, "user `who@acme.example`, which does not exist"),
        ({"requestor_groups": ()}, "names no requestors"),
        ({"max_duration_minutes": 0}, "maximum duration `0`"),
        ({"max_duration_minutes": 10**9}, "maximum duration `1000000000`"),
        ({"trigger": "email"}, "trigger `email`"),
    ],
)
def test_bad_flow_is_refused_and_the_old_one_keeps_working(
    services: Services, change: dict[str, object], words: str
) -> None:
    save_access_flow(services, actor=DEMO_ADMIN, flow=ANALYTICS)
    before = services.store.get_node("AccessFlow", "analytics")
    with pytest.raises(InvalidInput, match=words):
        save_access_flow(services, actor=DEMO_ADMIN, flow=dataclasses.replace(ANALYTICS, **change))
    assert services.store.get_node("AccessFlow", "analytics") == before
    assert _ask_analytics(services) == "analytics"


def test_disabled_flow_allows_nothing(services: Services) -> None:
    quick = next(f for f in DEMO_FLOWS if f.key == "orders-quick-look")
    save_access_flow(services, actor=DEMO_ADMIN, flow=dataclasses.replace(quick, enabled=False))
    with pytest.raises(AccessDenied, match="`pg-prod/orders`"):
        request_access(
            services,
            requester=DEMO_GRANTEE,
            resource="pg-prod/orders",
            permissions=["read"],
            duration_minutes=20,
        )
