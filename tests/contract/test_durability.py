"""Durability: what a write returned from is there after a reopen, and after a SIGKILL.

The reopen tests run on every backend. The SIGKILL and single-writer tests are about the
embedded backend's file, so they use their own `embedded_url` fixture (not the
backend-parametrized `graph_url`) instead of skipping on Neo4j.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from graph import (
    DeleteNode,
    GraphStore,
    SchemaViolation,
    SetProps,
    StoreLocked,
    UpsertEdge,
    open_store,
)
from tests.contract._graph import (
    access_request,
    group,
    integration,
    member_of,
    part_of,
    ref,
    resource,
    snapshot,
    user,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def embedded_url(tmp_path: Path) -> str:
    return f"embedded:{tmp_path / 'var' / 'graph.db'}"


def _fill(store: GraphStore) -> None:
    store.write(
        [
            user("alice", disabled=False, created_at=1_700_000_000.123456),
            user("bob"),
            group("eng"),
            integration("pg-prod"),
            resource("payments", tags=["pii", "prod"]),
            access_request("r1", version=3),
        ]
    )
    store.write(
        [
            member_of(ref("User", "alice"), "eng"),
            part_of("payments", ref("Integration", "pg-prod")),
            UpsertEdge(
                "HAS_ACCESS",
                ref("User", "alice"),
                ref("Resource", "payments"),
                key="g1",
                props={"permissions": ["read"], "expires_at": 1_700_003_600.5},
            ),
            UpsertEdge("REPORTS_TO", ref("User", "alice"), ref("User", "bob")),
        ]
    )
    store.write([SetProps("AccessRequest", "r1", {"state": "APPROVED"}, {"state": "PENDING"})])


def test_reopened_store_sees_every_node_edge_and_property(graph_url: str) -> None:
    first = open_store(graph_url)
    try:
        _fill(first)
        written = snapshot(first)
    finally:
        first.close()

    second = open_store(graph_url)
    try:
        assert snapshot(second) == written
        assert second.identity_context(ref("User", "alice")).groups == frozenset({"eng"})
        assert second.resource_context(ref("Resource", "payments")).integration == "pg-prod"
    finally:
        second.close()


def test_deletes_and_failed_writes_stay_as_they_were_after_reopen(graph_url: str) -> None:
    first = open_store(graph_url)
    try:
        _fill(first)
        first.write([DeleteNode("User", "bob")])
        with pytest.raises(SchemaViolation, match="required property `name`"):
            first.write(
                [user("carol"), member_of(ref("User", "carol"), "eng"), resource("x", name=None)]
            )
        written = snapshot(first)
    finally:
        first.close()

    second = open_store(graph_url)
    try:
        assert snapshot(second) == written
        assert second.get_node("User", "bob") is None
        assert second.get_node("User", "carol") is None
        assert second.edges("REPORTS_TO") == []
    finally:
        second.close()


# --- embedded only: the file, the process and the lock ----------------------------------

_KILLED_WRITER = textwrap.dedent(
    """
    import os, signal, sys
    from graph import UpsertNode, open_store

    store = open_store(sys.argv[1])
    for i in range(int(sys.argv[2])):
        store.write([UpsertNode("User", f"u{i:03}", {"email": f"u{i}@corp.example"})])
    print("written", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


def _python(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )


def test_embedded_write_that_returned_survives_a_sigkill(embedded_url: str) -> None:
    done = _python("-c", _KILLED_WRITER, embedded_url, "25")

    assert done.returncode == -signal.SIGKILL, done.stderr
    assert done.stdout.strip() == "written"
    store = open_store(embedded_url)  # also proves the killed writer's lock went with it
    try:
        assert [n.key for n in store.find_nodes("User")] == [f"u{i:03}" for i in range(25)]
    finally:
        store.close()


_OPENER = textwrap.dedent(
    """
    import sys
    from graph import StoreLocked, open_store

    try:
        open_store(sys.argv[1]).close()
    except StoreLocked as exc:
        print(f"locked: {exc}")
    else:
        print("opened")
    """
)


def test_embedded_second_process_opening_the_file_gets_store_locked(embedded_url: str) -> None:
    store = open_store(embedded_url)
    try:
        refused = _python("-c", _OPENER, embedded_url)
    finally:
        store.close()
    allowed = _python("-c", _OPENER, embedded_url)

    assert refused.returncode == 0, refused.stderr
    assert refused.stdout.startswith("locked: "), refused.stdout
    assert "another Keyturn process" in refused.stdout
    assert f"`{embedded_url.removeprefix('embedded:')}`" in refused.stdout
    assert allowed.stdout.strip() == "opened", allowed.stderr


def test_embedded_second_store_in_the_same_process_gets_store_locked(embedded_url: str) -> None:
    store = open_store(embedded_url)
    try:
        with pytest.raises(StoreLocked, match=r"graph\.db`"):
            open_store(embedded_url)
        store.write([user("alice")])  # the refused open left the first store working
    finally:
        store.close()

    again = open_store(embedded_url)
    try:
        assert again.get_node("User", "alice") is not None
    finally:
        again.close()
