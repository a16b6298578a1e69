"""Reads: find_nodes filters and order, edge filters, multi-edges, copies, clear."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from graph import DeleteEdge, GraphStore, UpsertEdge, UpsertNode
from tests.contract._graph import (
    access_request,
    edge_keys,
    group,
    integration,
    member_of,
    ref,
    resource,
    snapshot,
    user,
)

ALICE = ref("User", "alice")
BOB = ref("User", "bob")
PAYMENTS = ref("Resource", "payments")


def _keys(nodes: list[Any]) -> list[str]:
    return [n.key for n in nodes]


def test_find_nodes_returns_every_node_of_the_kind_ordered_by_key(store: GraphStore) -> None:
    store.write([user(k) for k in ("mallory", "alice", "zed", "bob")] + [group("admins")])

    assert _keys(store.find_nodes("User")) == ["alice", "bob", "mallory", "zed"]
    assert _keys(store.find_nodes("Group")) == ["admins"]
    assert store.find_nodes("Bundle") == []


def test_find_nodes_equals_filters_on_every_given_property(store: GraphStore) -> None:
    store.write(
        [
            access_request("r1", state="PENDING", flow="db"),
            access_request("r2", state="GRANTED", flow="db"),
            access_request("r3", state="PENDING", flow="ssh"),
            access_request("r4", state="PENDING", flow="db"),
        ]
    )

    assert _keys(store.find_nodes("AccessRequest", equals={"state": "PENDING"})) == [
        "r1",
        "r3",
        "r4",
    ]
    assert _keys(store.find_nodes("AccessRequest", equals={"state": "PENDING", "flow": "db"})) == [
        "r1",
        "r4",
    ]
    assert store.find_nodes("AccessRequest", equals={"state": "REVOKED"}) == []


def test_find_nodes_at_most_is_inclusive_and_skips_nodes_without_the_property(
    store: GraphStore,
) -> None:
    store.write(
        [
            access_request("r1", state="GRANTED", expires_at=100.0),
            access_request("r2", state="GRANTED", expires_at=200.0),
            access_request("r3", state="GRANTED", expires_at=300.5),
            access_request("r4", state="PENDING", expires_at=150.0),
            access_request("r5", state="GRANTED"),
        ]
    )

    due = store.find_nodes("AccessRequest", at_most={"expires_at": 200.0})
    due_granted = store.find_nodes(
        "AccessRequest", equals={"state": "GRANTED"}, at_most={"expires_at": 200.0}
    )

    assert _keys(due) == ["r1", "r2", "r4"]
    assert _keys(due_granted) == ["r1", "r2"]


def test_find_nodes_limit_keeps_the_first_keys(store: GraphStore) -> None:
    store.write([access_request(f"r{i}", expires_at=float(i)) for i in (5, 3, 9, 1, 7)])

    assert _keys(store.find_nodes("AccessRequest", limit=2)) == ["r1", "r3"]
    assert _keys(store.find_nodes("AccessRequest", at_most={"expires_at": 8.0}, limit=3)) == [
        "r1",
        "r3",
        "r5",
    ]
    assert len(store.find_nodes("AccessRequest", limit=100)) == 5


def test_edges_filter_by_kind_source_and_target(store: GraphStore) -> None:
    store.write([user("alice"), user("bob"), group("eng"), group("ops"), group("all")])
    store.write(
        [
            member_of(ALICE, "eng"),
            member_of(ALICE, "ops"),
            member_of(BOB, "eng"),
            member_of(ref("Group", "eng"), "all"),
            UpsertEdge("REPORTS_TO", ALICE, BOB),
        ]
    )

    assert edge_keys(store.edges("MEMBER_OF")) == {
        ("alice", "eng", "", "MEMBER_OF"),
        ("alice", "ops", "", "MEMBER_OF"),
        ("bob", "eng", "", "MEMBER_OF"),
        ("eng", "all", "", "MEMBER_OF"),
    }
    assert edge_keys(store.edges("MEMBER_OF", src=ALICE)) == {
        ("alice", "eng", "", "MEMBER_OF"),
        ("alice", "ops", "", "MEMBER_OF"),
    }
    assert edge_keys(store.edges("MEMBER_OF", dst=ref("Group", "eng"))) == {
        ("alice", "eng", "", "MEMBER_OF"),
        ("bob", "eng", "", "MEMBER_OF"),
    }
    assert edge_keys(store.edges("MEMBER_OF", src=BOB, dst=ref("Group", "eng"))) == {
        ("bob", "eng", "", "MEMBER_OF"),
    }
    assert edge_keys(store.edges("REPORTS_TO", src=ALICE)) == {("alice", "bob", "", "REPORTS_TO")}
    assert store.edges("MEMBER_OF", src=BOB, dst=ref("Group", "ops")) == []
    assert store.edges("MEMBER_OF", src=ref("User", "nobody")) == []


def _two_grants(store: GraphStore) -> None:
    store.write([user("alice"), resource("payments")])
    store.write(
        [
            UpsertEdge("HAS_ACCESS", ALICE, PAYMENTS, key="g1", props={"permissions": ["read"]}),
            UpsertEdge("HAS_ACCESS", ALICE, PAYMENTS, key="g2", props={"permissions": ["write"]}),
        ]
    )


def test_two_grants_on_one_resource_are_two_edges_told_apart_by_key(store: GraphStore) -> None:
    _two_grants(store)

    grants = {e.key: list(e.props["permissions"]) for e in store.edges("HAS_ACCESS", src=ALICE)}

    assert grants == {"g1": ["read"], "g2": ["write"]}


def test_deleting_one_grant_edge_keeps_the_other(store: GraphStore) -> None:
    _two_grants(store)

    store.write([DeleteEdge("HAS_ACCESS", ALICE, PAYMENTS, key="g1")])

    assert [e.key for e in store.edges("HAS_ACCESS", dst=PAYMENTS)] == ["g2"]


def test_upsert_edge_with_the_same_key_merges_its_properties(store: GraphStore) -> None:
    _two_grants(store)

    store.write(
        [
            UpsertEdge(
                "HAS_ACCESS",
                ALICE,
                PAYMENTS,
                key="g1",
                props={"expires_at": 9.5, "permissions": None},
            )
        ]
    )

    edges = {e.key: dict(e.props) for e in store.edges("HAS_ACCESS")}
    assert edges == {"g1": {"expires_at": 9.5}, "g2": {"permissions": ["write"]}}


def _try_to_mutate(props: Mapping[str, Any]) -> None:
    # A backend may hand out a copy or a read-only view; either must leave the store alone.
    with contextlib.suppress(TypeError, AttributeError):
        props["name"] = "changed"  # type: ignore[index]
    with contextlib.suppress(TypeError, AttributeError):
        props["tags"].append("changed")


def test_returned_properties_cannot_change_the_store(store: GraphStore) -> None:
    store.write([resource("payments", tags=["pii"]), integration("pg")])
    store.write([UpsertEdge("PART_OF", PAYMENTS, ref("Integration", "pg"))])
    before = snapshot(store)

    node = store.get_node("Resource", "payments")
    assert node is not None
    _try_to_mutate(node.props)
    for found in store.find_nodes("Resource"):
        _try_to_mutate(found.props)
    _try_to_mutate(store.resource_context(PAYMENTS).node.props)

    assert snapshot(store) == before


def test_clear_deletes_every_node_and_edge(store: GraphStore) -> None:
    store.write([user("alice"), group("eng"), member_of(ALICE, "eng"), access_request("r1")])

    store.clear()

    assert snapshot(store) == ([], [])
    store.write([UpsertNode("Group", "eng", {"name": "eng"})])
    assert _keys(store.find_nodes("Group")) == ["eng"]


def _token(key: str, owner: str, digest: str) -> UpsertNode:
    return UpsertNode(
        "ApiToken", key, {"token_hash": digest, "owner": owner, "created_at": 1_700_000_000.0}
    )


def test_find_node_and_named_reads_a_node_and_the_one_its_property_names(
    store: GraphStore,
) -> None:
    store.write(
        [
            user("alice"),
            _token("t1", "alice", "h1"),
            _token("t2", "gone", "h2"),
            access_request("r1", state="GRANTED"),
        ]
    )

    found = store.find_node_and_named(
        "ApiToken", equals={"token_hash": "h1"}, named_by="owner", named_kind="User"
    )
    assert found is not None
    token, owner = found
    assert (token.key, token.props["owner"]) == ("t1", "alice")
    assert owner is not None and owner == store.get_node("User", "alice")

    # the named node is gone: the first node alone
    orphan = store.find_node_and_named(
        "ApiToken", equals={"token_hash": "h2"}, named_by="owner", named_kind="User"
    )
    assert orphan is not None and orphan[0].key == "t2" and orphan[1] is None
    # nothing matches; an undeclared property matches nothing, as in find_nodes
    for equals in ({"token_hash": "h3"}, {"colour": "red"}):
        assert (
            store.find_node_and_named(
                "ApiToken", equals=equals, named_by="owner", named_kind="User"
            )
            is None
        )
    # the named kind must match: a Group `alice` does not exist
    wrong_kind = store.find_node_and_named(
        "ApiToken", equals={"token_hash": "h1"}, named_by="owner", named_kind="Group"
    )
    assert wrong_kind is not None and wrong_kind[1] is None
    no_such_kind = store.find_node_and_named(
        "ApiToken", equals={"token_hash": "h1"}, named_by="owner", named_kind="Planet"
    )
    assert no_such_kind is not None and no_such_kind[1] is None
    # the same through another kind and property
    request = store.find_node_and_named(
        "AccessRequest", equals={"state": "GRANTED"}, named_by="requester", named_kind="User"
    )
    assert request is not None and request[1] is not None and request[1].key == "alice"
