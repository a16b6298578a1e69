"""who_could_request through bundles: a flow covering a bundle (nested or not) covers what
the bundle covers, and the resources inside those (tests/contract/_access_graph.py)."""

from __future__ import annotations

from graph import GraphStore, NodeRef, UpsertEdge, UpsertNode
from graph.analysis import Requester
from tests.contract._access_graph import (
    ALICE,
    BOB,
    CAROL,
    LEDGER,
    PAYMENTS,
    PG,
    WIKI,
    build,
    flow,
)
from tests.contract._graph import ref

DAN = ref("User", "dan")


def _bundle(key: str) -> UpsertNode:
    return UpsertNode("Bundle", key, {"name": key})


def _covers(src: NodeRef, dst: NodeRef) -> UpsertEdge:
    return UpsertEdge("COVERS", src, dst)


def _build_bundles(store: GraphStore) -> None:
    """b-pay covers payments; b-outer holds b-pay; f-bundle (carol) covers b-outer;
    f-off-bundle (disabled, bob) covers b-pay; f-wiki-bundle (dan) covers b-wiki (wiki)."""
    build(store)
    store.write(
        [_bundle(b) for b in ("b-pay", "b-outer", "b-wiki")]
        + [flow("f-bundle"), flow("f-off-bundle", enabled=False), flow("f-wiki-bundle")]
        + [UpsertNode("User", "dan", {"email": "dan@corp.example"})]
    )
    store.write(
        [
            _covers(ref("Bundle", "b-pay"), PAYMENTS),
            _covers(ref("Bundle", "b-outer"), ref("Bundle", "b-pay")),
            _covers(ref("Bundle", "b-wiki"), WIKI),
            _covers(ref("AccessFlow", "f-bundle"), ref("Bundle", "b-outer")),
            _covers(ref("AccessFlow", "f-off-bundle"), ref("Bundle", "b-pay")),
            _covers(ref("AccessFlow", "f-wiki-bundle"), ref("Bundle", "b-wiki")),
            UpsertEdge("ALLOWS", ref("AccessFlow", "f-bundle"), CAROL),
            UpsertEdge("ALLOWS", ref("AccessFlow", "f-off-bundle"), BOB),
            UpsertEdge("ALLOWS", ref("AccessFlow", "f-wiki-bundle"), DAN),
        ]
    )


def test_who_could_request_counts_flows_covering_nested_bundles_of_an_ancestor(
    store: GraphStore,
) -> None:
    _build_bundles(store)

    assert store.who_could_request(LEDGER) == [
        Requester(ALICE, "f-all", everyone=True),
        Requester(ALICE, "f-db", ("db", "eng")),
        Requester(BOB, "f-all", everyone=True),
        Requester(BOB, "f-db", ("eng",)),
        Requester(CAROL, "f-all", everyone=True),
        Requester(CAROL, "f-bundle"),
        Requester(DAN, "f-all", everyone=True),
    ]
    assert [r for r in store.who_could_request(PAYMENTS) if r.flow == "f-bundle"] == [
        Requester(CAROL, "f-bundle")
    ]


def test_who_could_request_ignores_bundles_that_only_cover_what_lies_below(
    store: GraphStore,
) -> None:
    _build_bundles(store)

    # b-pay covers payments, which is inside pg: a bundle never covers a parent.
    assert {r.flow for r in store.who_could_request(PG)} == {"f-all"}
    assert store.who_could_request(WIKI) == [
        Requester(CAROL, "f-wiki"),
        Requester(DAN, "f-wiki-bundle"),
    ]
