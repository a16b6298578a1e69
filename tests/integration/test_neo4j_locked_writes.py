"""On Neo4j, writes that lock a node run at most `LOCKED_WRITES_AT_ONCE` at a time per
process: the rest wait their turn in this process instead of queueing on the lock inside
Neo4j (where the holder's Python part waited behind them all). Every write still lands,
each built on the one before."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from graph import NodeRef, UpsertNode, WriteOp, open_store
from graph.neo4j._store import LOCKED_WRITES_AT_ONCE, Neo4jStore
from graph.values import Props
from tests.support.together import run_at_once

COUNTER = NodeRef("AuditHead", "locked-writes")
WRITERS = 4 * LOCKED_WRITES_AT_ONCE


@pytest.fixture
def neo4j_store(neo4j_url: str) -> Iterator[Neo4jStore]:
    opened = open_store(neo4j_url)
    assert isinstance(opened, Neo4jStore)
    try:
        opened.clear()
        yield opened
    finally:
        opened.close()


def test_locked_writes_wait_their_turn_in_the_process(neo4j_store: Neo4jStore) -> None:
    in_flight, most = 0, 0
    counting = threading.Lock()
    open_session = neo4j_store._session

    @contextmanager
    def counted_session(*args: Any, **kwargs: Any) -> Iterator[Any]:
        nonlocal in_flight, most
        with counting:
            in_flight += 1
            most = max(most, in_flight)
        try:
            with open_session(*args, **kwargs) as session:
                yield session
        finally:
            with counting:
                in_flight -= 1

    neo4j_store._session = counted_session  # type: ignore[method-assign]

    def next_value(found: Props) -> list[WriteOp]:
        time.sleep(0.05)  # a holder slow enough for the others to pile up behind it
        return [UpsertNode(COUNTER.kind, COUNTER.key, {"seq": int(found.get("seq") or 0) + 1})]

    run_at_once(lambda: neo4j_store.write_from([], COUNTER, next_value), WRITERS)
    assert most == LOCKED_WRITES_AT_ONCE  # reached, never passed
    counter = neo4j_store.get_node(COUNTER.kind, COUNTER.key)
    assert counter is not None and counter.props["seq"] == WRITERS
