"""A small hand-built organisation whose analyses have known answers (worked out by hand).

staff <- eng <- db <- alice          (MEMBER_OF, nested three deep)
         eng <- bob;  contractors <- eve (external)
pg (integration) <- payments [sensitive, pci] <- ledger [sensitive];  wiki (no integration)

g1 alice -> payments   JIT read, expires later
g2 staff -> wiki       standing read
g3 bob   -> pg         standing admin
g4 alice -> ledger     JIT write, expired
g5 contractors -> ledger  JIT read, used

flows: f-db (eng, covers payments), f-all (everyone, covers pg),
       f-off (disabled, carol, covers ledger), f-wiki (carol, covers wiki)
"""

from __future__ import annotations

import json
from typing import Any

from graph import GraphStore, NodeRef, UpsertEdge, UpsertNode
from tests.contract._graph import group, integration, member_of, part_of, ref, resource, user

NOW = 1_700_000_000.0
ALICE, BOB, CAROL, DAVE = (ref("User", k) for k in ("alice", "bob", "carol", "dave"))
EVE = ref("ExternalUser", "eve")
PG = ref("Integration", "pg")
PAYMENTS, LEDGER, WIKI = (ref("Resource", k) for k in ("payments", "ledger", "wiki"))
STAFF, CONTRACTORS = ref("Group", "staff"), ref("Group", "contractors")


def grant(holder: NodeRef, target: NodeRef, key: str, **props: Any) -> UpsertEdge:
    return UpsertEdge("HAS_ACCESS", holder, target, key, {"grant": key, **props})


def flow(key: str, *, everyone: bool = False, enabled: bool = True) -> UpsertNode:
    definition = json.dumps({"name": key, "everyone": everyone})
    return UpsertNode(
        "AccessFlow", key, {"name": key, "definition": definition, "enabled": enabled}
    )


def build(store: GraphStore) -> None:
    store.write(
        [user(k) for k in ("alice", "bob", "carol")]
        + [user("dave", disabled=True)]
        + [UpsertNode("ExternalUser", "eve", {"email": "eve@partner.example"})]
        + [group(g) for g in ("db", "eng", "staff", "contractors")]
        + [integration("pg")]
        + [resource("payments", tags=["sensitive", "pci"]), resource("ledger", tags=["sensitive"])]
        + [resource("wiki", tags=[])]
        + [flow("f-db"), flow("f-all", everyone=True), flow("f-off", enabled=False)]
        + [flow("f-wiki")]
    )
    store.write(
        [
            member_of(ALICE, "db"),
            member_of(ref("Group", "db"), "eng"),
            member_of(ref("Group", "eng"), "staff"),
            member_of(BOB, "eng"),
            member_of(EVE, "contractors"),
            part_of("payments", PG),
            part_of("ledger", PAYMENTS),
            grant(ALICE, PAYMENTS, "g1", permissions=["read"], expires_at=NOW + 100),
            grant(STAFF, WIKI, "g2", permissions=["read"], standing=True),
            grant(BOB, PG, "g3", permissions=["admin"], standing=True),
            grant(ALICE, LEDGER, "g4", permissions=["write"], expires_at=NOW - 1),
            grant(
                CONTRACTORS,
                LEDGER,
                "g5",
                permissions=["read"],
                expires_at=NOW + 50,
                last_used_at=NOW - 10,
            ),
            UpsertEdge("ALLOWS", ref("AccessFlow", "f-db"), ref("Group", "eng")),
            UpsertEdge("COVERS", ref("AccessFlow", "f-db"), PAYMENTS),
            UpsertEdge("COVERS", ref("AccessFlow", "f-all"), PG),
            UpsertEdge("ALLOWS", ref("AccessFlow", "f-off"), CAROL),
            UpsertEdge("COVERS", ref("AccessFlow", "f-off"), LEDGER),
            UpsertEdge("ALLOWS", ref("AccessFlow", "f-wiki"), CAROL),
            UpsertEdge("COVERS", ref("AccessFlow", "f-wiki"), WIKI),
        ]
    )
