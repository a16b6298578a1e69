"""A lab for approval tests: more people and groups beside the demo, one resource, and a
notifier that keeps every notice."""

from __future__ import annotations

from typing import Any

from broker import Services, audit, request_access
from broker.demo import DEMO_ADMIN, DEMO_APPROVER, DEMO_GRANTEE
from broker.flows.save_access_flow import save_access_flow
from graph import NodeRef, UpsertEdge, UpsertNode, WriteOp
from policies.flows import AccessFlow
from tests.support.notices import KeptNotices

GRACE = DEMO_APPROVER  # in engineering; linus's manager
LINUS = DEMO_GRANTEE  # in backend (inside engineering)
SAM = "sam@acme.example"  # security, engineering
TOM = "tom@acme.example"  # security, engineering
MIA = "mia@acme.example"  # dba
RESOURCE = "lab/db"


def seed_lab(services: Services) -> KeptNotices:
    people = (SAM, TOM, MIA)
    ops: list[WriteOp] = [
        UpsertNode("User", u, {"email": u, "name": u, "role": "grantee"}) for u in people
    ]
    ops += [UpsertNode("Group", g, {"name": g}) for g in ("security", "dba")]
    for user, group in ((SAM, "security"), (TOM, "security"), (MIA, "dba")):
        ops.append(UpsertEdge("MEMBER_OF", NodeRef("User", user), NodeRef("Group", group)))
    for user in (SAM, TOM):
        ops.append(UpsertEdge("MEMBER_OF", NodeRef("User", user), NodeRef("Group", "engineering")))
    ops += [
        UpsertNode("Integration", "lab", {"name": "Lab", "type": "postgresql"}),
        UpsertNode("Resource", RESOURCE, {"name": "lab db", "type": "database"}),
        UpsertEdge("PART_OF", NodeRef("Resource", RESOURCE), NodeRef("Integration", "lab")),
    ]
    services.store.write(ops)
    kept = KeptNotices()
    services.notifier = kept
    return kept


def lab_flow(services: Services, **fields: Any) -> AccessFlow:
    flow = AccessFlow(
        key="lab-access",
        name="Lab access",
        requestor_groups=("engineering",),
        integrations=("lab",),
        max_duration_minutes=60,
        **fields,
    )
    save_access_flow(services, actor=DEMO_ADMIN, flow=flow)
    return flow


def ask(services: Services, requester: str = LINUS, **extra: Any) -> str:
    return request_access(
        services,
        requester=requester,
        resource=RESOURCE,
        permissions=["read"],
        duration_minutes=30,
        **extra,
    ).key


def state(services: Services, key: str) -> str:
    node = services.store.get_node("AccessRequest", key)
    assert node is not None
    return str(node.props["state"])


def props(services: Services, key: str) -> dict[str, Any]:
    node = services.store.get_node("AccessRequest", key)
    assert node is not None
    return dict(node.props)


def history(services: Services, key: str) -> list[str]:
    return [e.kind for e in audit.read_events(services.store) if e.subject == key]


def approved_steps(services: Services, key: str) -> dict[str, int]:
    ref = NodeRef("AccessRequest", key)
    return {e.src.key: int(e.props["step"]) for e in services.store.edges("APPROVED", dst=ref)}


def grants(services: Services) -> int:
    return len(services.store.find_nodes("Grant"))
