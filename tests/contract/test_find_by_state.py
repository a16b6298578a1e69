"""find_nodes by a request's state follows every change to it (an index on embedded)."""

from __future__ import annotations

import pytest

from graph import ConflictError, DeleteNode, GraphStore, SetProps, UpsertNode
from tests.contract._graph import access_request


def _granted(store: GraphStore) -> list[str]:
    return [n.key for n in store.find_nodes("AccessRequest", equals={"state": "GRANTED"})]


def test_find_by_state_follows_updates_deletes_and_recreation(store: GraphStore) -> None:
    """A node leaves the old state's results and joins the new one's on every kind of write."""
    store.write([access_request(f"r{i}", "GRANTED", expires_at=float(i)) for i in range(4)])
    store.write([SetProps("AccessRequest", "r1", {"state": "EXPIRED"}, {"state": "GRANTED"})])
    store.write([UpsertNode("AccessRequest", "r2", {"state": "REVOKED"})])
    store.write([DeleteNode("AccessRequest", "r3")])
    assert _granted(store) == ["r0"]
    store.write([DeleteNode("AccessRequest", "r0"), access_request("r0", "PENDING")])
    assert _granted(store) == []
    assert [n.key for n in store.find_nodes("AccessRequest", equals={"state": "PENDING"})] == ["r0"]
    store.write([SetProps("AccessRequest", "r1", {"state": "GRANTED"})])
    due = store.find_nodes("AccessRequest", equals={"state": "GRANTED"}, at_most={"expires_at": 1})
    assert [n.key for n in due] == ["r1"]


def test_a_failed_write_leaves_find_by_state_unchanged(store: GraphStore) -> None:
    """A compare-and-set that loses changes neither the node nor what finds it."""
    store.write([access_request("r0", "GRANTED")])
    with pytest.raises(ConflictError):
        store.write(
            [
                SetProps("AccessRequest", "r0", {"state": "EXPIRED"}, {"state": "GRANTED"}),
                SetProps("AccessRequest", "r0", {"state": "REVOKED"}, {"state": "GRANTED"}),
            ]
        )
    assert _granted(store) == ["r0"]
    store.clear()
    assert _granted(store) == []
