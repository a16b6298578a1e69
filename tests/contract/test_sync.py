"""Sync runs: stamp what a run saw, then clean up what it did not, source by source."""

from __future__ import annotations

import re

import pytest

from graph import GraphStore, UpsertEdge, UpsertNode, WriteOp
from graph.sync import SyncRefused, SyncRun
from tests.contract._graph import edge_keys, group, member_of, ref, resource, snapshot, user

ALICE, BOB = ref("User", "alice"), ref("User", "bob")
KINDS = ["HAS_ACCESS", "MEMBER_OF", "REPORTS_TO", "User", "Group"]


def _seen(users: list[str]) -> list[UpsertNode | UpsertEdge]:
    ops: list[UpsertNode | UpsertEdge] = [group("eng")]
    for key in users:
        ops += [user(key), member_of(ref("User", key), "eng")]
    return ops


def _sync(store: GraphStore, tag: str, users: list[str], source: str = "okta") -> SyncRun:
    run = SyncRun(store, source, tag)
    run.upsert(_seen(users))
    return run


def test_a_sync_stamps_what_it_writes_with_its_source_and_tag(store: GraphStore) -> None:
    _sync(store, "run-1", ["alice"])

    node = store.get_node("User", "alice")
    (edge,) = store.edges("MEMBER_OF", src=ALICE)

    assert node is not None
    assert (node.props["sync_source"], node.props["sync_tag"]) == ("okta", "run-1")
    assert (edge.props["sync_source"], edge.props["sync_tag"]) == ("okta", "run-1")


def test_a_user_the_next_sync_no_longer_sees_is_removed_with_its_edges(
    store: GraphStore,
) -> None:
    _sync(store, "run-1", ["alice", "bob"])
    store.write(
        [
            resource("pg-prod"),
            UpsertEdge("HAS_ACCESS", BOB, ref("Resource", "pg-prod"), "manual-grant"),
        ]
    )

    run = _sync(store, "run-2", ["alice"])
    deleted = run.cleanup(kinds=KINDS, scope={"sync_source": "okta"})

    assert store.get_node("User", "bob") is None
    assert store.get_node("User", "alice") is not None
    assert edge_keys(store.edges("MEMBER_OF")) == {("alice", "eng", "", "MEMBER_OF")}
    assert store.edges("HAS_ACCESS") == []  # bob is gone, so are his edges
    assert deleted == 2  # bob's MEMBER_OF edge, then bob


def test_cleanup_leaves_other_sources_and_manual_data_alone(store: GraphStore) -> None:
    _sync(store, "run-1", ["alice"])
    _sync(store, "hr-1", ["carol"], source="workday")
    store.write([user("dave"), member_of(ref("User", "dave"), "eng")])  # manual
    before = snapshot(store)

    run = _sync(store, "run-2", ["alice"])
    deleted = run.cleanup(kinds=KINDS, scope={"sync_source": "okta"})

    assert deleted == 0
    assert {n.key for n in store.find_nodes("User")} == {"alice", "carol", "dave"}
    # the manual `eng` group now carries run-2's stamp, but nothing else changed
    assert edge_keys(snapshot(store)[1]) == edge_keys(before[1])


@pytest.mark.parametrize("scope", [None, {}, {"sync_source": ""}])
def test_a_cleanup_without_a_scope_is_refused_and_deletes_nothing(
    store: GraphStore, scope: dict[str, str] | None
) -> None:
    _sync(store, "run-1", ["alice", "bob"])
    run = _sync(store, "run-2", ["alice"])
    before = snapshot(store)

    with pytest.raises(SyncRefused, match=re.escape("a cleanup needs a scope such as")):
        run.cleanup(kinds=KINDS, scope=scope)

    assert snapshot(store) == before


def test_a_cleanup_scoped_to_another_source_is_refused(store: GraphStore) -> None:
    run = _sync(store, "run-1", ["alice"])

    with pytest.raises(SyncRefused, match=re.escape("scope `workday` is not this run's source")):
        run.cleanup(kinds=KINDS, scope={"sync_source": "workday"})


def test_a_kind_that_is_not_synced_is_refused(store: GraphStore) -> None:
    run = _sync(store, "run-1", ["alice"])

    with pytest.raises(SyncRefused, match=re.escape("`AccessRequest` is not synced")):
        run.cleanup(kinds=["AccessRequest"], scope={"sync_source": "okta"})


def test_cleanup_deletes_more_items_than_one_batch_in_several_batches(
    store: GraphStore,
) -> None:
    users = [f"u{i:02d}" for i in range(25)]
    first = SyncRun(store, "okta", "run-1", batch_size=4)
    first.upsert(_seen(users))
    writes: list[int] = []
    original_write = store.write

    def counting_write(ops: list[WriteOp]) -> None:
        writes.append(len(ops))
        original_write(ops)

    second = SyncRun(store, "okta", "run-2", batch_size=4)
    second.upsert(_seen(users[:3]))
    store.write = counting_write  # type: ignore[method-assign]
    try:
        deleted = second.cleanup(kinds=["MEMBER_OF", "User"], scope={"sync_source": "okta"})
    finally:
        store.write = original_write  # type: ignore[method-assign]

    assert deleted == 2 * 22
    assert max(writes) <= 4
    assert sorted(n.key for n in store.find_nodes("User")) == users[:3]
    assert len(store.edges("MEMBER_OF")) == 3
