"""Grants after approval: a fresh integration per test (graph-only, manual or webhook) and
an auto-approved flow on it that allows extensions (the `wired` fixture of
tests/unit/broker/conftest.py adds the integration-picking provisioner)."""

from __future__ import annotations

from typing import Any

from broker import Services, request_access, save_access_flow
from broker._backoff import RetryPolicy
from broker.demo import DEMO_ADMIN, DEMO_GRANTEE
from broker.integrations.save_integration import save_integration
from graph import Node, NodeRef, UpsertEdge, UpsertNode
from policies.flows import AccessFlow

FAST = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.02)
RESOURCE = "lab/db"
FLOW = "lab-extendable"


def add_lab(
    services: Services, *, type_: str = "postgresql", config: dict[str, Any] | None = None
) -> None:
    """Integration `lab` of `type_` with resource `lab/db`, and an auto-approved flow for
    engineering: at most 60 minutes, extendable twice."""
    if type_ in ("manual", "webhook"):
        save_integration(
            services, actor=DEMO_ADMIN, key="lab", name="Lab", type=type_, config=config or {}
        )
    else:
        services.store.write([UpsertNode("Integration", "lab", {"name": "Lab", "type": type_})])
    services.store.write(
        [
            UpsertNode("Resource", RESOURCE, {"name": "db", "type": "database", "tags": []}),
            UpsertEdge("PART_OF", NodeRef("Resource", RESOURCE), NodeRef("Integration", "lab")),
        ]
    )
    save_access_flow(
        services,
        actor=DEMO_ADMIN,
        flow=AccessFlow(
            key=FLOW,
            name="Lab, extendable",
            requestor_groups=("engineering",),
            integrations=("lab",),
            permissions=("read",),
            max_duration_minutes=60,
            max_extensions=2,
        ),
    )


def ask(services: Services, *, requester: str = DEMO_GRANTEE, minutes: int = 30) -> Node:
    return request_access(
        services,
        requester=requester,
        resource=RESOURCE,
        permissions=["read"],
        duration_minutes=minutes,
    )


def state_of(services: Services, key: str) -> str:
    node = services.store.get_node("AccessRequest", key)
    assert node is not None
    return str(node.props["state"])


def access_keys(services: Services, who: str = DEMO_GRANTEE) -> list[str]:
    edges = services.store.edges(
        "HAS_ACCESS", src=NodeRef("User", who), dst=NodeRef("Resource", RESOURCE)
    )
    return [e.key for e in edges]
