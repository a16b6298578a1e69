"""Writes: upsert and merge, deletes, schema errors, atomicity and compare-and-set."""

from __future__ import annotations

import re

import pytest

from graph import (
    ConflictError,
    DeleteEdge,
    DeleteNode,
    GraphStore,
    SchemaViolation,
    SetProps,
    UnknownNode,
    UpsertEdge,
    UpsertNode,
    WriteOp,
)
from tests.contract._graph import (
    access_request,
    group,
    member_of,
    ref,
    resource,
    snapshot,
    user,
)

ALICE = ref("User", "alice")


def test_upsert_creates_a_node_with_its_properties(store: GraphStore) -> None:
    store.write([user("alice", name="Alice", disabled=False, created_at=1_700_000_000.25)])

    node = store.get_node("User", "alice")

    assert node is not None
    assert (node.kind, node.key) == ("User", "alice")
    assert dict(node.props) == {
        "email": "alice@corp.example",
        "name": "Alice",
        "disabled": False,
        "created_at": 1_700_000_000.25,
    }


def test_get_node_of_a_missing_node_is_none(store: GraphStore) -> None:
    store.write([user("alice")])

    assert store.get_node("User", "bob") is None
    assert store.get_node("Group", "alice") is None


def test_upsert_of_an_existing_node_merges_properties(store: GraphStore) -> None:
    store.write([user("alice", name="Alice")])
    store.write([UpsertNode("User", "alice", {"role": "admin"})])

    node = store.get_node("User", "alice")

    assert node is not None
    assert dict(node.props) == {"email": "alice@corp.example", "name": "Alice", "role": "admin"}


def test_property_given_as_none_is_removed(store: GraphStore) -> None:
    store.write([user("alice", name="Alice", role="admin")])
    store.write([UpsertNode("User", "alice", {"name": None})])
    store.write([SetProps("User", "alice", {"role": None})])

    node = store.get_node("User", "alice")

    assert node is not None
    assert dict(node.props) == {"email": "alice@corp.example"}


def test_list_properties_round_trip(store: GraphStore) -> None:
    store.write([resource("pg-prod/payments", tags=["pii", "prod"])])

    node = store.get_node("Resource", "pg-prod/payments")

    assert node is not None
    assert list(node.props["tags"]) == ["pii", "prod"]


def test_set_props_updates_an_existing_node(store: GraphStore) -> None:
    store.write([access_request("r1")])
    store.write([SetProps("AccessRequest", "r1", {"state": "APPROVED", "decided_by": "bob"})])

    node = store.get_node("AccessRequest", "r1")

    assert node is not None
    assert node.props["state"] == "APPROVED"
    assert node.props["decided_by"] == "bob"
    assert node.props["requester"] == "alice"


def test_delete_node_removes_it_and_its_edges(store: GraphStore) -> None:
    store.write([user("alice"), user("bob"), group("eng"), member_of(ALICE, "eng")])
    store.write([UpsertEdge("REPORTS_TO", ref("User", "bob"), ALICE)])
    store.write([DeleteNode("User", "alice")])

    assert store.get_node("User", "alice") is None
    assert store.edges("MEMBER_OF") == []
    assert store.edges("REPORTS_TO") == []
    assert store.get_node("User", "bob") is not None
    assert store.get_node("Group", "eng") is not None


def test_deleting_what_is_missing_is_not_an_error(store: GraphStore) -> None:
    store.write([user("alice"), group("eng")])
    before = snapshot(store)

    store.write([DeleteNode("User", "nobody")])
    store.write([DeleteEdge("MEMBER_OF", ALICE, ref("Group", "eng"))])
    store.write([DeleteEdge("MEMBER_OF", ref("User", "nobody"), ref("Group", "ghosts"))])

    assert snapshot(store) == before


def test_an_edge_may_join_nodes_created_earlier_in_the_same_write(store: GraphStore) -> None:
    store.write([user("alice"), group("eng"), member_of(ALICE, "eng")])

    assert [(e.src, e.dst) for e in store.edges("MEMBER_OF")] == [(ALICE, ref("Group", "eng"))]


def test_a_node_deleted_earlier_in_the_write_is_missing_for_later_ops(store: GraphStore) -> None:
    store.write([user("alice"), group("eng")])

    with pytest.raises(UnknownNode):
        store.write([DeleteNode("Group", "eng"), member_of(ALICE, "eng")])

    assert store.get_node("Group", "eng") is not None


def test_a_node_deleted_and_recreated_in_one_write_starts_fresh(store: GraphStore) -> None:
    store.write([user("alice", name="Alice"), group("eng"), member_of(ALICE, "eng")])

    store.write([DeleteNode("User", "alice"), user("alice")])

    node = store.get_node("User", "alice")
    assert node is not None
    assert dict(node.props) == {"email": "alice@corp.example"}
    assert store.edges("MEMBER_OF") == []


def test_written_props_are_copied_not_shared_with_the_caller(store: GraphStore) -> None:
    tags = ["pii"]
    props = {"name": "payments", "tags": tags}
    store.write([UpsertNode("Resource", "payments", props)])

    tags.append("changed")
    props["name"] = "changed"

    node = store.get_node("Resource", "payments")
    assert node is not None
    assert node.props["name"] == "payments"
    assert list(node.props["tags"]) == ["pii"]


# --- bad input ---------------------------------------------------------------------------

BAD_WRITES: list[tuple[str, WriteOp, type[Exception], str]] = [
    ("unknown node kind", UpsertNode("Robot", "r2"), SchemaViolation, "unknown node kind `Robot`"),
    (
        "wrong property type",
        UpsertNode("User", "bob", {"email": 5}),
        SchemaViolation,
        "User.email must be a str, not `5`",
    ),
    (
        "undeclared property",
        UpsertNode("User", "bob", {"email": "b@x", "shoe_size": 44}),
        SchemaViolation,
        "User has no property `shoe_size`",
    ),
    (
        "missing required property",
        UpsertNode("User", "bob", {"name": "Bob"}),
        SchemaViolation,
        "new User `bob` lacks required property `email`",
    ),
    (
        "removing a required property",
        SetProps("User", "alice", {"email": None}),
        SchemaViolation,
        "User `alice` cannot lose required property `email`",
    ),
    (
        "unknown edge kind",
        UpsertEdge("LIKES", ALICE, ref("Group", "eng")),
        SchemaViolation,
        "unknown edge kind `LIKES`",
    ),
    (
        "edge between kinds the model forbids",
        UpsertEdge("PART_OF", ALICE, ref("Group", "eng")),
        SchemaViolation,
        "a `PART_OF` edge cannot go from User to Group",
    ),
    (
        "edge to a missing node",
        member_of(ALICE, "ghosts"),
        UnknownNode,
        "no Group `ghosts` exists in the access graph",
    ),
    (
        "edge from a missing node",
        member_of(ref("User", "nobody"), "eng"),
        UnknownNode,
        "no User `nobody` exists in the access graph",
    ),
    (
        "set props on a missing node",
        SetProps("AccessRequest", "r404", {"state": "APPROVED"}),
        UnknownNode,
        "no AccessRequest `r404` exists in the access graph",
    ),
    (
        "lost compare-and-set",
        SetProps("AccessRequest", "r1", {"state": "APPROVED"}, expect={"state": "CANCELLED"}),
        ConflictError,
        "AccessRequest `r1` changed concurrently: "
        "expected state='CANCELLED', found state='PENDING'",
    ),
]


@pytest.fixture
def seeded(store: GraphStore) -> GraphStore:
    store.write([user("alice", name="Alice"), group("eng"), access_request("r1")])
    store.write([member_of(ALICE, "eng")])
    return store


@pytest.mark.parametrize(
    ("bad_op", "error", "message"),
    [case[1:] for case in BAD_WRITES],
    ids=[case[0] for case in BAD_WRITES],
)
def test_bad_write_raises_a_typed_error_that_says_what_is_wrong(
    seeded: GraphStore, bad_op: WriteOp, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=re.escape(message)):
        seeded.write([bad_op])


@pytest.mark.parametrize(
    "bad_op", [case[1] for case in BAD_WRITES], ids=[case[0] for case in BAD_WRITES]
)
def test_failing_multi_op_write_changes_nothing(seeded: GraphStore, bad_op: WriteOp) -> None:
    before = snapshot(seeded)
    good_ops: list[WriteOp] = [
        user("dave"),
        UpsertNode("User", "alice", {"name": "Changed", "role": "admin"}),
        SetProps("AccessRequest", "r1", {"reason": "partial"}, expect={"state": "PENDING"}),
        group("ops"),
        member_of(ALICE, "ops"),
        DeleteEdge("MEMBER_OF", ALICE, ref("Group", "eng")),
        DeleteNode("Group", "eng"),
    ]

    with pytest.raises((SchemaViolation, UnknownNode, ConflictError)):
        seeded.write([*good_ops, bad_op])

    assert snapshot(seeded) == before


def test_unknown_node_error_names_the_missing_node(store: GraphStore) -> None:
    store.write([user("alice")])

    with pytest.raises(UnknownNode) as caught:
        store.write([member_of(ALICE, "ghosts")])

    assert caught.value.ref == ref("Group", "ghosts")


# --- compare-and-set ---------------------------------------------------------------------


def test_compare_and_set_that_holds_applies(store: GraphStore) -> None:
    store.write([access_request("r1")])

    store.write(
        [SetProps("AccessRequest", "r1", {"state": "APPROVED"}, expect={"state": "PENDING"})]
    )

    node = store.get_node("AccessRequest", "r1")
    assert node is not None
    assert node.props["state"] == "APPROVED"


def test_failed_compare_and_set_changes_nothing(store: GraphStore) -> None:
    store.write([access_request("r1", state="CANCELLED")])
    before = snapshot(store)

    with pytest.raises(ConflictError) as caught:
        store.write(
            [
                SetProps(
                    "AccessRequest",
                    "r1",
                    {"state": "APPROVED", "decided_by": "bob"},
                    expect={"state": "PENDING"},
                )
            ]
        )

    assert caught.value.ref == ref("AccessRequest", "r1")
    assert caught.value.expected == {"state": "PENDING"}
    assert caught.value.actual == {"state": "CANCELLED"}
    assert snapshot(store) == before


def test_compare_and_set_on_a_version_number(store: GraphStore) -> None:
    store.write([access_request("r1", version=1)])

    store.write([SetProps("AccessRequest", "r1", {"version": 2}, expect={"version": 1})])
    with pytest.raises(ConflictError):
        store.write([SetProps("AccessRequest", "r1", {"version": 2}, expect={"version": 1})])

    node = store.get_node("AccessRequest", "r1")
    assert node is not None
    assert node.props["version"] == 2


def test_compare_and_set_sees_earlier_ops_of_the_same_write(store: GraphStore) -> None:
    store.write([access_request("r1")])

    store.write(
        [
            SetProps("AccessRequest", "r1", {"state": "APPROVED"}, expect={"state": "PENDING"}),
            SetProps("AccessRequest", "r1", {"state": "GRANTING"}, expect={"state": "APPROVED"}),
        ]
    )
    with pytest.raises(ConflictError):
        store.write(
            [
                SetProps("AccessRequest", "r1", {"state": "GRANTED"}, expect={"state": "GRANTING"}),
                SetProps("AccessRequest", "r1", {"state": "FAILED"}, expect={"state": "GRANTING"}),
            ]
        )

    node = store.get_node("AccessRequest", "r1")
    assert node is not None
    assert node.props["state"] == "GRANTING"
