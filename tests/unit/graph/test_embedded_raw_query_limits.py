"""The embedded graph runs each raw query in a child process it can stop: a runaway
query is killed at its timeout, a memory-hungry one at its ceiling, and the server
neither grows nor keeps a child afterwards."""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph import UpsertNode, open_store
from graph.embedded import EmbeddedStore
from graph.query import QueryFailed

CARTESIAN = "MATCH (a) MATCH (b) MATCH (c) MATCH (d) WHERE a.key <> d.key RETURN count(a) AS n"
_MIB = 1024 * 1024


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    opened = open_store(f"embedded:{tmp_path / 'graph.db'}")
    assert isinstance(opened, EmbeddedStore)
    opened.write([UpsertNode("Group", f"g{i:03d}", {"name": f"g{i:03d}"}) for i in range(122)])
    try:
        yield opened
    finally:
        opened.close()


def _children() -> set[int]:
    """This process's child processes, zombies (ended but not reaped) included."""
    me = str(os.getpid())
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            after_name = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended while we looked
        if after_name[1] == me:
            found.add(int(stat.parent.name))
    return found


def _rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def test_a_runaway_query_is_killed_at_its_timeout_and_leaves_no_child(
    store: EmbeddedStore,
) -> None:
    before, rss = _children(), _rss()
    started = time.monotonic()

    with pytest.raises(QueryFailed, match=re.escape("the query ran longer than 1 s: narrow it")):
        store.run_read_query(CARTESIAN, timeout_s=1.0, memory_mib=4096)

    assert time.monotonic() - started < 2.0
    assert _children() == before
    assert _rss() - rss < 50 * _MIB


def test_a_memory_hungry_query_hits_its_ceiling_and_the_server_does_not_grow(
    store: EmbeddedStore,
) -> None:
    before, rss = _children(), _rss()

    with pytest.raises(
        QueryFailed,
        match=re.escape("the query used more than the 64 MiB allowed: narrow the MATCH"),
    ):
        store.run_read_query(CARTESIAN, timeout_s=10.0, memory_mib=64)

    assert _children() == before
    assert _rss() - rss < 50 * _MIB


def test_the_store_answers_normally_after_a_query_was_killed(store: EmbeddedStore) -> None:
    with pytest.raises(QueryFailed):
        store.run_read_query(CARTESIAN, timeout_s=0.5)

    store.write([UpsertNode("Group", "late", {"name": "late"})])
    result = store.run_read_query("MATCH (g:Group) WHERE g.key = 'late' RETURN g.name")

    assert result.rows == (("late",),)


def test_writes_and_reads_go_on_while_a_query_runs(store: EmbeddedStore) -> None:
    """The store's lock is held only to fork the child, not while it runs."""
    failures: list[BaseException] = []

    def runaway() -> None:
        try:
            store.run_read_query(CARTESIAN, timeout_s=2.0)
        except QueryFailed as failed:
            failures.append(failed)

    worker = threading.Thread(target=runaway)
    worker.start()
    time.sleep(0.3)  # the child is running by now
    started = time.monotonic()
    store.write([UpsertNode("Group", "late", {"name": "late"})])
    node = store.get_node("Group", "late")
    took = time.monotonic() - started
    still_running = worker.is_alive()
    worker.join()

    assert node is not None and node.props == {"name": "late"}
    # Held for the query's run, the lock would keep the write waiting ~1.7 s more.
    assert took < 1.0
    assert still_running
    # Stopped either way: at its timeout, or sooner at its memory ceiling on a fast machine.
    (failure,) = failures
    assert "ran longer than 2 s" in str(failure) or "MiB allowed" in str(failure)
