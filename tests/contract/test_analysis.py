"""The analyses on a small hand-built organisation (tests/contract/_access_graph.py)."""

from __future__ import annotations

import pytest

from graph import GraphStore, NodeRef, UnknownNode
from graph.analysis import Access, AccessPath, BlastRadius, Requester
from tests.contract._access_graph import (
    ALICE,
    BOB,
    CAROL,
    EVE,
    LEDGER,
    NOW,
    PAYMENTS,
    PG,
    WIKI,
    build,
    grant,
)
from tests.contract._graph import group, integration, member_of, part_of, ref, resource, user


def _access(
    identity: NodeRef,
    resource_: NodeRef,
    grant_: str,
    holder: NodeRef,
    granted_on: NodeRef,
    groups: tuple[str, ...] = (),
    parents: tuple[NodeRef, ...] = (),
    *,
    permissions: tuple[str, ...] = ("read",),
    standing: bool = False,
    expires_at: float | None = None,
) -> Access:
    return Access(
        identity,
        resource_,
        grant_,
        holder,
        granted_on,
        groups,
        parents,
        permissions,
        standing,
        expires_at,
    )


ALICE_LEDGER = _access(
    ALICE, LEDGER, "g1", ALICE, PAYMENTS, parents=(PAYMENTS,), expires_at=NOW + 100
)
ALICE_PAYMENTS = _access(ALICE, PAYMENTS, "g1", ALICE, PAYMENTS, expires_at=NOW + 100)
ALICE_WIKI = _access(
    ALICE, WIKI, "g2", ref("Group", "staff"), WIKI, groups=("db", "eng", "staff"), standing=True
)
BOB_PG = _access(BOB, PG, "g3", BOB, PG, permissions=("admin",), standing=True)
BOB_LEDGER = _access(
    BOB, LEDGER, "g3", BOB, PG, parents=(PAYMENTS, PG), permissions=("admin",), standing=True
)
BOB_PAYMENTS = _access(
    BOB, PAYMENTS, "g3", BOB, PG, parents=(PG,), permissions=("admin",), standing=True
)
BOB_WIKI = _access(
    BOB, WIKI, "g2", ref("Group", "staff"), WIKI, groups=("eng", "staff"), standing=True
)
EVE_LEDGER = _access(
    EVE,
    LEDGER,
    "g5",
    ref("Group", "contractors"),
    LEDGER,
    groups=("contractors",),
    expires_at=NOW + 50,
)


def test_effective_access_follows_direct_grants_parents_and_nested_groups_not_expired_ones(
    store: GraphStore,
) -> None:
    build(store)

    assert store.effective_access(ALICE, NOW) == [ALICE_LEDGER, ALICE_PAYMENTS, ALICE_WIKI]
    assert store.effective_access(BOB, NOW) == [BOB_PG, BOB_LEDGER, BOB_PAYMENTS, BOB_WIKI]
    assert store.effective_access(EVE, NOW) == [EVE_LEDGER]
    assert store.effective_access(CAROL, NOW) == []


def test_effective_access_drops_a_grant_the_moment_it_expires(store: GraphStore) -> None:
    build(store)

    assert store.effective_access(EVE, NOW + 50) == []
    assert [a.resource for a in store.effective_access(ALICE, NOW + 100)] == [WIKI]


def test_an_access_says_how_it_is_held_and_its_path(store: GraphStore) -> None:
    build(store)
    by_resource = {a.resource: a for a in store.effective_access(ALICE, NOW)}

    assert by_resource[WIKI].through_groups and not by_resource[WIKI].inherited
    assert by_resource[LEDGER].inherited and not by_resource[LEDGER].through_groups
    assert by_resource[WIKI].path == AccessPath(
        (ALICE, ref("Group", "db"), ref("Group", "eng"), ref("Group", "staff"), WIKI),
        ("MEMBER_OF", "MEMBER_OF", "MEMBER_OF", "HAS_ACCESS"),
    )
    assert by_resource[LEDGER].path == AccessPath(
        (ALICE, PAYMENTS, LEDGER), ("HAS_ACCESS", "PART_OF")
    )


def test_a_resource_below_a_grant_by_several_routes_is_reached_once_by_the_canonical_one(
    store: GraphStore,
) -> None:
    # top <- {b-db, a-db} <- shared <- deep; deep also hangs straight under a-db's child
    # `mid`, one edge longer: the shortest route wins, then the one whose keys sort first.
    top, a_db, b_db = ref("Integration", "top"), ref("Resource", "a-db"), ref("Resource", "b-db")
    store.write(
        [user("zoe"), integration("top")]
        + [resource(k, tags=[]) for k in ("a-db", "b-db", "shared", "mid", "deep")]
    )
    store.write(
        [
            part_of("b-db", top),
            part_of("a-db", top),
            part_of("shared", b_db),
            part_of("shared", a_db),
            part_of("mid", a_db),
            part_of("deep", ref("Resource", "shared")),
            part_of("deep", ref("Resource", "mid")),
            grant(ref("User", "zoe"), top, "gz", permissions=["read"], standing=True),
        ]
    )

    parents = {a.resource.key: a.parents for a in store.effective_access(ref("User", "zoe"), NOW)}

    assert parents == {
        "top": (),
        "a-db": (top,),
        "b-db": (top,),
        "mid": (a_db, top),
        "shared": (a_db, top),
        "deep": (ref("Resource", "mid"), a_db, top),
    }


def test_who_can_access_lists_every_identity_with_its_path(store: GraphStore) -> None:
    build(store)

    assert store.who_can_access(LEDGER, NOW) == [EVE_LEDGER, ALICE_LEDGER, BOB_LEDGER]
    assert store.who_can_access(WIKI, NOW) == [ALICE_WIKI, BOB_WIKI]
    assert store.who_can_access(PG, NOW) == [BOB_PG]


def test_who_could_request_reads_enabled_flows_nested_groups_and_everyone(
    store: GraphStore,
) -> None:
    build(store)

    assert store.who_could_request(LEDGER) == [
        Requester(ALICE, "f-all", everyone=True),
        Requester(ALICE, "f-db", ("db", "eng")),
        Requester(BOB, "f-all", everyone=True),
        Requester(BOB, "f-db", ("eng",)),
        Requester(CAROL, "f-all", everyone=True),
    ]
    assert store.who_could_request(WIKI) == [Requester(CAROL, "f-wiki")]


def test_access_paths_lists_every_path_within_the_depth(store: GraphStore) -> None:
    build(store)
    direct_expired = AccessPath((ALICE, LEDGER), ("HAS_ACCESS",))
    through_parent = AccessPath((ALICE, PAYMENTS, LEDGER), ("HAS_ACCESS", "PART_OF"))

    assert store.access_paths(ALICE, LEDGER, 6) == [direct_expired, through_parent]
    assert store.access_paths(ALICE, LEDGER, 6, now=NOW) == [through_parent]
    assert store.access_paths(ALICE, LEDGER, 1) == [direct_expired]
    assert store.access_paths(BOB, LEDGER, 3) == [
        AccessPath((BOB, PG, PAYMENTS, LEDGER), ("HAS_ACCESS", "PART_OF", "PART_OF"))
    ]
    assert store.access_paths(BOB, LEDGER, 2) == []


def test_blast_radius_counts_reached_resources_per_integration_and_tag(
    store: GraphStore,
) -> None:
    build(store)

    assert store.blast_radius(BOB, NOW) == BlastRadius(
        BOB, 3, {"pg": 2}, {"pci": 1, "sensitive": 2}
    )
    assert store.blast_radius(EVE, NOW) == BlastRadius(EVE, 1, {"pg": 1}, {"sensitive": 1})
    assert store.blast_radius(CAROL, NOW) == BlastRadius(CAROL, 0, {}, {})


def test_analyses_survive_a_cycle_of_groups(store: GraphStore) -> None:
    store.write([user("alice"), group("a"), group("b"), resource("db")])
    store.write(
        [
            member_of(ALICE, "a"),
            member_of(ref("Group", "a"), "b"),
            member_of(ref("Group", "b"), "a"),
            grant(ref("Group", "b"), ref("Resource", "db"), "g"),
        ]
    )

    (access,) = store.effective_access(ALICE, NOW)
    assert access.groups == ("a", "b")
    assert [a.identity for a in store.who_can_access(ref("Resource", "db"), NOW)] == [ALICE]
    # Walks repeat no edge (as Cypher's do): a -> b -> a -> b would reuse a -> b.
    assert store.access_paths(ALICE, ref("Resource", "db"), 6) == [
        AccessPath(
            (ALICE, ref("Group", "a"), ref("Group", "b"), ref("Resource", "db")),
            ("MEMBER_OF", "MEMBER_OF", "HAS_ACCESS"),
        ),
    ]


def test_analyses_of_an_unknown_node_raise_unknown_node(store: GraphStore) -> None:
    build(store)
    ghost = ref("User", "ghost")

    for call in (
        lambda: store.effective_access(ghost, NOW),
        lambda: store.blast_radius(ghost, NOW),
        lambda: store.who_can_access(ref("Resource", "ghost"), NOW),
        lambda: store.who_could_request(ref("Resource", "ghost")),
        lambda: store.access_paths(ghost, LEDGER, 3),
    ):
        with pytest.raises(UnknownNode, match="`ghost`"):
            call()
