"""A small demo organisation: people in nested groups, a manager, a database, two flows."""

from __future__ import annotations

from broker.flows.save_access_flow import save_access_flow
from broker.services import Services
from graph import NodeRef, UpsertEdge, UpsertNode, WriteOp
from policies.flows import AccessFlow

DEMO_ADMIN = "ada@acme.example"
DEMO_APPROVER = "grace@acme.example"
DEMO_GRANTEE = "linus@acme.example"
DEMO_AUDITOR = "margaret@acme.example"

_PEOPLE = (
    (DEMO_ADMIN, "Ada Admin", "admin"),
    (DEMO_APPROVER, "Grace Lead", "grantee"),
    (DEMO_GRANTEE, "Linus Engineer", "grantee"),
    (DEMO_AUDITOR, "Margaret Auditor", "auditor"),
)
DEMO_PEOPLE = tuple(email for email, _, _ in _PEOPLE)
_GROUPS = ("engineering", "backend", "sre")
_MEMBERSHIPS = (
    (NodeRef("Group", "backend"), "engineering"),
    (NodeRef("Group", "sre"), "engineering"),
    (NodeRef("User", DEMO_APPROVER), "engineering"),
    (NodeRef("User", DEMO_GRANTEE), "backend"),
)
_RESOURCES: tuple[tuple[str, str, str, list[str]], ...] = (
    ("pg-prod/payments", "payments", "database", ["pci", "sensitive"]),
    ("pg-prod/orders", "orders", "database", []),
    ("pg-prod/analytics", "analytics", "database", []),
)

DEMO_FLOWS = (
    AccessFlow(
        key="db-readers",
        name="Read production databases",
        requestor_groups=("engineering",),
        integrations=("pg-prod",),
        permissions=("read",),
        max_duration_minutes=240,
        justification_required=True,
        approvers=(DEMO_APPROVER,),
    ),
    AccessFlow(
        key="orders-quick-look",
        name="Quick look at orders",
        requestor_groups=("backend",),
        resources=("pg-prod/orders",),
        permissions=("read",),
        max_duration_minutes=60,
    ),
)


def demo_is_seeded(services: Services) -> bool:
    return services.store.get_node("User", DEMO_ADMIN) is not None


def seed_demo(services: Services) -> str:
    """Write the demo organisation (idempotent); returns the demo admin's key."""
    now = services.clock()
    ops: list[WriteOp] = [
        UpsertNode("User", email, {"email": email, "name": name, "role": role, "created_at": now})
        for email, name, role in _PEOPLE
    ]
    ops += [UpsertNode("Group", g, {"name": g, "source": "demo"}) for g in _GROUPS]
    ops += [UpsertEdge("MEMBER_OF", member, NodeRef("Group", g)) for member, g in _MEMBERSHIPS]
    ops.append(
        UpsertEdge("REPORTS_TO", NodeRef("User", DEMO_GRANTEE), NodeRef("User", DEMO_APPROVER))
    )
    ops.append(
        UpsertNode(
            "Integration", "pg-prod", {"name": "Production PostgreSQL", "type": "postgresql"}
        )
    )
    for key, name, kind, tags in _RESOURCES:
        ops.append(UpsertNode("Resource", key, {"name": name, "type": kind, "tags": tags}))
        ops.append(
            UpsertEdge("PART_OF", NodeRef("Resource", key), NodeRef("Integration", "pg-prod"))
        )
    services.store.write(ops)
    for flow in DEMO_FLOWS:
        save_access_flow(services, actor=DEMO_ADMIN, flow=flow)
    return DEMO_ADMIN
