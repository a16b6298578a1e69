"""graph.neo4j._import: the statements a bulk import sends, from the declared model."""

from __future__ import annotations

from graph import NodeRef, UpsertEdge, UpsertNode, WriteOp
from graph.neo4j._import import plan_batch
from graph.neo4j.cypher.imports import import_edges, import_nodes

ALICE, ENG = NodeRef("User", "alice"), NodeRef("Group", "eng")


def test_a_node_run_merges_by_key_and_counts_only_nodes_with_every_required_property() -> None:
    assert import_nodes("Integration", create=False) == (
        "UNWIND range(0, size($keys) - 1) AS i\n"
        "MERGE (n:`Integration` {key: $keys[i]})\n"
        "SET n += $props[i]\n"
        "WITH n WHERE n.`name` IS NOT NULL AND n.`type` IS NOT NULL\n"
        "RETURN count(n) AS applied"
    )


def test_a_first_load_creates_nodes_and_edges_instead_of_merging() -> None:
    assert "CREATE (n:`User` {key: $keys[i]})" in import_nodes("User", create=True)
    assert "CREATE (a)-[r:`MEMBER_OF` {key: $keys[i]}]->(b)" in import_edges(
        "MEMBER_OF", "User", "Group", create=True, with_props=False
    )


def test_an_edge_run_matches_both_endpoints_by_key_and_sets_props_only_when_given() -> None:
    assert import_edges("HAS_ACCESS", "User", "Resource", create=False, with_props=True) == (
        "UNWIND range(0, size($keys) - 1) AS i\n"
        "MATCH (a:`User` {key: $src[i]})\n"
        "MATCH (b:`Resource` {key: $dst[i]})\n"
        "MERGE (a)-[r:`HAS_ACCESS` {key: $keys[i]}]->(b)\n"
        "SET r += $props[i]\n"
        "RETURN count(r) AS applied"
    )
    assert "SET" not in import_edges("MEMBER_OF", "User", "Group", create=False, with_props=False)


def test_a_batch_is_planned_nodes_first_in_columns_keeping_each_kinds_order() -> None:
    ops: list[WriteOp] = [
        UpsertEdge("MEMBER_OF", ALICE, ENG),
        UpsertNode("User", "alice", {"email": "a@x", "name": "A"}),
        UpsertNode("Group", "eng", {"name": "eng"}),
        UpsertNode("User", "alice", {"name": "Alice", "disabled": None}),
    ]

    users, groups, members = plan_batch(ops)

    assert users.params == {
        "keys": ["alice", "alice"],
        "props": [{"email": "a@x", "name": "A"}, {"name": "Alice", "disabled": None}],
    }
    assert users.rows == 2 and "MERGE" in users.query
    assert groups.params["keys"] == ["eng"]
    assert members.params == {"src": ["alice"], "dst": ["eng"], "keys": [""]}
