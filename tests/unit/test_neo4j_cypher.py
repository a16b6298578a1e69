"""graph.neo4j: the Cypher generated from the declared model, and how a write is batched."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from graph import DeleteNode, NodeRef, SetProps, UpsertEdge, UpsertNode, WriteOp
from graph.model import NODE_KINDS
from graph.neo4j._write import batches, one_statement
from graph.neo4j.cypher import store as _cypher

ALICE = NodeRef("User", "alice")


def test_every_node_kind_gets_a_named_idempotent_key_constraint() -> None:
    statements = _cypher.schema_statements()

    assert statements["keyturn_User_key"] == (
        "CREATE CONSTRAINT `keyturn_User_key` IF NOT EXISTS FOR (n:`User`) REQUIRE n.key IS UNIQUE"
    )
    assert {f"keyturn_{kind}_key" for kind in NODE_KINDS} <= set(statements)


def test_lookup_properties_get_idempotent_indexes() -> None:
    statements = _cypher.schema_statements()

    assert statements["keyturn_AccessRequest_state"] == (
        "CREATE INDEX `keyturn_AccessRequest_state` IF NOT EXISTS "
        "FOR (n:`AccessRequest`) ON (n.`state`)"
    )
    assert "keyturn_AccessRequest_expires_at" in statements
    assert "keyturn_ApiToken_token_hash" in statements
    assert "keyturn_User_sync_source" in statements
    assert len(statements) == len(NODE_KINDS) + 9


def test_a_sync_cleanup_finds_stale_grants_and_memberships_through_a_relationship_index() -> None:
    statements = _cypher.schema_statements()

    assert statements["keyturn_HAS_ACCESS_sync_source"] == (
        "CREATE INDEX `keyturn_HAS_ACCESS_sync_source` IF NOT EXISTS "
        "FOR ()-[r:`HAS_ACCESS`]-() ON (r.`sync_source`)"
    )
    assert "keyturn_MEMBER_OF_sync_source" in statements


def test_upsert_merges_on_key_and_returns_rows_lacking_a_required_property() -> None:
    assert _cypher.upsert_nodes("Integration") == (
        "UNWIND $rows AS row\n"
        "MERGE (n:`Integration` {key: row.key})\n"
        "SET n += row.props\n"
        "WITH row, n WHERE n.`name` IS NULL OR n.`type` IS NULL\n"
        "RETURN row.i AS i"
    )


def test_compare_and_set_locks_the_node_before_reading_what_it_compares() -> None:
    """Reading before the lock would let two writers both see PENDING and both win."""
    cypher = _cypher.set_props("AccessRequest")

    assert cypher == (
        "UNWIND $rows AS row\n"
        "MATCH (n:`AccessRequest` {key: row.key})\n"
        "SET n._lock = true\n"
        "WITH row, n, properties(n) AS before\n"
        "SET n += row.props\n"
        "REMOVE n._lock\n"
        "RETURN row.i AS i, before"
    )


def test_edge_upsert_matches_both_endpoints_and_merges_on_the_edge_key() -> None:
    assert _cypher.upsert_edges("HAS_ACCESS", "User", "Resource") == (
        "UNWIND $rows AS row\n"
        "MATCH (a:`User` {key: row.src})\n"
        "MATCH (b:`Resource` {key: row.dst})\n"
        "MERGE (a)-[r:`HAS_ACCESS` {key: row.key}]->(b)\n"
        "SET r += row.props\n"
        "RETURN row.i AS i"
    )


def test_find_nodes_filters_by_parameters_only() -> None:
    assert _cypher.find_nodes("AccessRequest", ["state"], ["flow"], ["expires_at"], True) == (
        "MATCH (n:`AccessRequest`)\n"
        "WHERE n.`state` = $eq0 AND n.`flow` IS NULL AND n.`expires_at` <= $le0\n"
        "RETURN n.key AS key, properties(n) AS props\n"
        "ORDER BY n.key\n"
        "LIMIT $limit"
    )


@pytest.mark.parametrize(
    "build",
    [
        lambda: _cypher.upsert_nodes("User`) DETACH DELETE (x"),
        lambda: _cypher.upsert_edges("LIKES", "User", "Group"),
        lambda: _cypher.find_nodes("User", ["shoe_size"], [], [], False),
    ],
    ids=["label", "relationship type", "property"],
)
def test_names_outside_the_model_never_reach_the_cypher_text(build: Callable[[], str]) -> None:
    with pytest.raises(ValueError, match=r"not a declared|declares no property"):
        build()


def test_stale_lookups_take_source_tag_and_limit_as_parameters() -> None:
    assert _cypher.stale_nodes("User") == (
        "MATCH (n:`User`)\n"
        "WHERE n.`sync_source` = $source AND NOT coalesce(n.`sync_tag` = $tag, false)\n"
        "RETURN n.key AS key\nORDER BY n.key\nLIMIT $limit"
    )
    assert _cypher.stale_edges("MEMBER_OF").startswith(
        "MATCH (a)-[r:`MEMBER_OF`]->(b)\n"
        "WHERE r.`sync_source` = $source AND NOT coalesce(r.`sync_tag` = $tag, false)\n"
    )


def test_a_write_batches_consecutive_ops_of_one_sort_in_order() -> None:
    ops: list[WriteOp] = [
        UpsertNode("User", "alice", {"email": "a@x"}),
        UpsertNode("User", "bob", {"email": "b@x"}),
        UpsertNode("Group", "eng", {"name": "eng"}),
        UpsertEdge("MEMBER_OF", ALICE, NodeRef("Group", "eng")),
        UpsertEdge("MEMBER_OF", NodeRef("User", "bob"), NodeRef("Group", "eng")),
        DeleteNode("User", "carol"),
    ]

    grouped = [[i for i, _ in batch.ops] for batch in batches(ops)]

    assert grouped == [[0, 1], [2], [3, 4], [5]]


def test_a_second_op_on_the_same_node_or_edge_starts_a_new_batch() -> None:
    """Rows of one UNWIND must not depend on each other: the second sees the first's result."""
    approve = SetProps("AccessRequest", "r1", {"state": "APPROVED"}, {"state": "PENDING"})
    grant = SetProps("AccessRequest", "r1", {"state": "GRANTING"}, {"state": "APPROVED"})
    edge = UpsertEdge("HAS_ACCESS", ALICE, NodeRef("Resource", "db"), key="g1")
    other = UpsertEdge("HAS_ACCESS", ALICE, NodeRef("Resource", "db"), key="g2")

    assert [len(b.ops) for b in batches([approve, grant])] == [1, 1]
    assert [len(b.ops) for b in batches([edge, other, edge])] == [2, 1]


def test_resource_context_collects_ancestors_an_integration_s_properties_then_bundles() -> None:
    assert _cypher.resource_context("Resource") == (
        "MATCH (r:`Resource` {key: $key})\n"
        "OPTIONAL MATCH p = (r)-[:`PART_OF`*]->(a)\n"
        "WHERE a <> r\n"
        "WITH r, a, min(length(p)) AS depth\n"
        "WITH r, collect(CASE WHEN a IS NOT NULL THEN [labels(a), a.key, depth,"
        " CASE WHEN a:`Integration` THEN properties(a) END] END)"
        " AS ancestors, [r] + collect(a) AS covered\n"
        "UNWIND covered AS t\n"
        "OPTIONAL MATCH (t)<-[:`COVERS`*]-(b:`Bundle`)\n"
        "RETURN properties(r) AS props, ancestors, collect(DISTINCT b.key) AS bundles"
    )


def test_a_write_of_several_batches_is_one_statement_of_subqueries_in_order() -> None:
    """One round trip per write: each batch a CALL subquery, its rows collected in one of
    its own so the statement always yields one row."""
    ops: list[WriteOp] = [
        UpsertNode("User", "alice", {"email": "a@corp.example"}),
        SetProps("User", "alice", {"name": "Alice"}, expect={"name": None}),
        DeleteNode("Group", "old"),
    ]

    query, params, _ = one_statement(ops)

    assert query == (
        "CALL {\n"
        "CALL {\n" + _cypher.upsert_nodes("User", "rows0") + "\n}\n"
        "RETURN collect(i) AS r0\n"
        "}\n"
        "CALL {\n"
        "CALL {\n" + _cypher.set_props("User", "rows1") + "\n}\n"
        "RETURN collect([i, before]) AS r1\n"
        "}\n"
        "CALL {\n" + _cypher.delete_nodes("Group", "rows2") + "\n}\n"
        "RETURN r0, r1"
    )
    assert _cypher.delete_nodes("Group", "rows2").startswith("UNWIND $rows2 AS row\n")
    assert params == {
        "rows0": [{"i": 0, "key": "alice", "props": {"email": "a@corp.example"}}],
        "rows1": [{"i": 1, "key": "alice", "props": {"name": "Alice"}}],
        "rows2": [{"i": 2, "key": "old"}],
    }
