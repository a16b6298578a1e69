"""`write_from`: a write made from a node it locks, the way the activity log appends. Many
threads through one node run one after another (none lost, none built on a stale value);
a failing write changes nothing, the locked node included."""

from __future__ import annotations

import threading

import pytest

from graph import ConflictError, GraphStore, NodeRef, SetProps, UpsertNode, WriteOp
from graph.errors import SchemaViolation
from graph.values import Props
from tests.contract._graph import access_request
from tests.support.together import run_at_once

COUNTER = NodeRef("AuditHead", "counter")
THREADS = 8
EACH = 15


def _increment(store: GraphStore, seen: list[int], lock: threading.Lock) -> None:
    built: list[int] = []

    def next_value(found: Props) -> list[WriteOp]:
        value = int(found.get("seq") or 0) + 1
        built.append(value)  # the driver may run it again; the last one committed
        return [UpsertNode(COUNTER.kind, COUNTER.key, {"seq": value})]

    store.write_from([], COUNTER, next_value)
    with lock:
        seen.append(built[-1])


def test_writers_through_one_node_run_one_after_another(store: GraphStore) -> None:
    seen: list[int] = []
    lock = threading.Lock()

    def run() -> None:
        for _ in range(EACH):
            _increment(store, seen, lock)

    run_at_once(run, THREADS)
    # Each committed write saw the value the one before it left: no value twice, none lost.
    assert sorted(seen) == list(range(1, THREADS * EACH + 1))
    counter = store.get_node(COUNTER.kind, COUNTER.key)
    assert counter is not None and counter.props["seq"] == THREADS * EACH


def test_an_absent_node_is_made_and_the_ops_come_first(store: GraphStore) -> None:
    found: list[Props] = []

    def build(props: Props) -> list[WriteOp]:
        found.append(dict(props))
        return [SetProps("AccessRequest", "r1", {"state": "APPROVED"}, {"state": "PENDING"})]

    store.write_from([access_request("r1")], COUNTER, build)
    assert found[-1] == {}
    assert store.get_node(COUNTER.kind, COUNTER.key) is not None
    request = store.get_node("AccessRequest", "r1")
    assert request is not None and request.props["state"] == "APPROVED"


def test_a_failing_compare_and_set_writes_nothing_not_even_the_locked_node(
    store: GraphStore,
) -> None:
    store.write([access_request("r1"), UpsertNode(COUNTER.kind, COUNTER.key, {"seq": 7})])
    approve = SetProps("AccessRequest", "r1", {"state": "APPROVED"}, {"state": "PENDING"})
    store.write([approve])

    def bump(props: Props) -> list[WriteOp]:
        return [UpsertNode(COUNTER.kind, COUNTER.key, {"seq": int(props["seq"]) + 1})]

    with pytest.raises(ConflictError):
        store.write_from([approve], COUNTER, bump)
    counter = store.get_node(COUNTER.kind, COUNTER.key)
    assert counter is not None and counter.props["seq"] == 7


def test_ops_the_schema_refuses_write_nothing(store: GraphStore) -> None:
    def wrong(props: Props) -> list[WriteOp]:
        return [UpsertNode(COUNTER.kind, COUNTER.key, {"seq": "not a number"})]

    with pytest.raises(SchemaViolation):
        store.write_from([access_request("r1")], COUNTER, wrong)
    assert store.get_node(COUNTER.kind, COUNTER.key) is None
    assert store.get_node("AccessRequest", "r1") is None
