"""The embedded graph stamps each node with the change that last touched it, so a cache of
what was read from a few nodes (api.token_cache) stays exact while others are written."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from graph import DeleteNode, NodeRef, SetProps, UpsertNode
from graph.embedded import EmbeddedStore
from graph.errors import UnknownNode

TOKEN = NodeRef("ApiToken", "tok_1")
OWNER = NodeRef("User", "ada@acme.example")
TOKEN_PROPS = {"token_hash": "h", "owner": OWNER.key, "created_at": 1.0, "revoked": False}


def _user(email: str, role: str) -> UpsertNode:
    return UpsertNode("User", email, {"email": email, "role": role})


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    opened = EmbeddedStore(str(tmp_path / "graph.db"))
    opened.write(
        [
            UpsertNode("ApiToken", TOKEN.key, TOKEN_PROPS),
            _user(OWNER.key, "admin"),
            _user("bo@acme.example", "grantee"),
        ]
    )
    try:
        yield opened
    finally:
        opened.close()


def test_writes_to_other_nodes_leave_the_nodes_unchanged(store: EmbeddedStore) -> None:
    read_at = store.changes
    store.write([SetProps("User", "bo@acme.example", {"role": "approver"})])
    store.write([_user("cy@acme.example", "grantee")])
    assert store.changes > read_at
    assert store.unchanged_since([TOKEN, OWNER], read_at)


@pytest.mark.parametrize(
    "change",
    [
        SetProps("ApiToken", TOKEN.key, {"revoked": True}),
        SetProps("User", OWNER.key, {"role": "grantee"}),
        SetProps("User", OWNER.key, {"disabled": True}),
        DeleteNode("ApiToken", TOKEN.key),
    ],
    ids=["revoked", "demoted", "disabled", "deleted"],
)
def test_a_write_to_one_of_the_nodes_is_seen(store: EmbeddedStore, change: object) -> None:
    read_at = store.changes
    store.write([change])  # type: ignore[list-item]
    assert not store.unchanged_since([TOKEN, OWNER], read_at)
    # and it stays seen: later writes elsewhere do not hide it
    store.write([SetProps("User", "bo@acme.example", {"role": "approver"})])
    assert not store.unchanged_since([TOKEN, OWNER], read_at)


def test_a_node_deleted_and_made_again_counts_as_changed(store: EmbeddedStore) -> None:
    read_at = store.changes
    store.write([DeleteNode("ApiToken", TOKEN.key)])
    store.write([UpsertNode("ApiToken", TOKEN.key, TOKEN_PROPS)])
    assert not store.unchanged_since([TOKEN], read_at)
    assert store.unchanged_since([TOKEN], store.changes)


def test_a_failed_write_changes_no_stamp(store: EmbeddedStore) -> None:
    read_at = store.changes
    with pytest.raises(UnknownNode, match="ghost"):
        store.write(
            [SetProps("User", OWNER.key, {"role": "grantee"}), SetProps("User", "ghost", {})]
        )
    assert store.unchanged_since([TOKEN, OWNER], read_at)


def test_an_unknown_node_and_a_cleared_graph_are_never_unchanged(store: EmbeddedStore) -> None:
    read_at = store.changes
    assert not store.unchanged_since([NodeRef("User", "nobody@acme.example")], read_at)
    store.clear()
    store.write([UpsertNode("ApiToken", TOKEN.key, TOKEN_PROPS)])
    assert not store.unchanged_since([TOKEN], read_at)


def test_after_a_restart_every_node_counts_as_unchanged_since_start(tmp_path: Path) -> None:
    path = str(tmp_path / "graph.db")
    first = EmbeddedStore(path)
    first.write([UpsertNode("ApiToken", TOKEN.key, TOKEN_PROPS), _user(OWNER.key, "admin")])
    first.close()
    again = EmbeddedStore(path)
    try:
        assert again.unchanged_since([TOKEN, OWNER], again.changes)
    finally:
        again.close()


def test_a_guard_that_sets_nothing_is_no_change(store: EmbeddedStore) -> None:
    """Every request checks its requester is enabled with a compare-and-set that sets
    nothing: that leaves the requester's cached sign-in be."""
    read_at = store.changes
    store.write([SetProps("User", OWNER.key, {}, expect={"disabled": None})])
    store.write([SetProps("User", OWNER.key, {"role": "admin"})])  # the value it has
    assert store.unchanged_since([OWNER], read_at)
