"""Bulk import (import_batches): what a first load into an empty graph must still mean,
however a backend speeds it up: repeated items merge, never duplicate."""

from __future__ import annotations

from graph import GraphStore, UpsertEdge, WriteOp
from tests.contract._graph import group, member_of, ref, resource, user

ALICE = ref("User", "alice")


def test_a_node_repeated_in_one_batch_and_across_batches_of_a_first_load_is_merged(
    store: GraphStore,
) -> None:
    batches: list[list[WriteOp]] = [
        [user("alice"), user("alice", name="Alice")],
        [user("bob"), user("alice", role="admin")],
    ]

    assert store.import_batches(batches) == 4

    assert [n.key for n in store.find_nodes("User")] == ["alice", "bob"]
    assert store.get_node("User", "alice").props == {  # type: ignore[union-attr]
        "email": "alice@corp.example",
        "name": "Alice",
        "role": "admin",
    }


def test_an_edge_written_twice_in_one_import_and_again_in_another_stays_one_edge(
    store: GraphStore,
) -> None:
    db = ref("Resource", "db")
    grant = UpsertEdge("HAS_ACCESS", ALICE, db, "g1", {"permissions": ["read"]})
    regrant = UpsertEdge("HAS_ACCESS", ALICE, db, "g1", {"permissions": ["write"]})
    nodes: list[WriteOp] = [user("alice"), group("eng"), resource("db")]

    store.import_batches([nodes, [member_of(ALICE, "eng"), grant], [member_of(ALICE, "eng")]])
    store.import_batches([[member_of(ALICE, "eng"), regrant]])

    assert len(store.edges("MEMBER_OF")) == 1
    (edge,) = store.edges("HAS_ACCESS")
    assert edge.key == "g1" and edge.props["permissions"] == ["write"]
