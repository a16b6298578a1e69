"""A first load through Neo4j's offline importer reads back as the same upserts written online.

graph.neo4j._bulk writes the CSV files, the launcher's `--import` builds the database from
them before Neo4j starts, and Keyturn's start-up (open_store: constraints, indexes, schema
version) then runs on the imported store. The same ops go into the shared test Neo4j through
`import_batches`; both graphs must hold the same nodes, edges, properties (with their types)
and answer the analyses alike. One difference is by design: the importer stores no empty
array, so an empty list is no property there (readers take the two alike).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graph import GraphStore, NodeRef, UpsertEdge, UpsertNode, WriteOp, open_store
from graph.migrations import latest
from graph.model import EDGE_KINDS, NODE_KINDS
from graph.neo4j._bulk import write_csv
from graph.synthetic import NOW, generate
from tests.support.neo4j_server import running_neo4j

ODD = "a, \"quoted\"\nsecond line; ü 🙂 \\ ''"


def _awkward() -> list[WriteOp]:
    """Values the CSV format has to carry: separators, quotes, newlines, empties, extremes."""
    alice, bob = NodeRef("User", 'al,i"ce\n'), NodeRef("User", "bob")
    return [
        UpsertNode(
            "User",
            alice.key,
            {"email": ODD, "name": "", "disabled": False, "created_at": 0.1, "role": None},
        ),
        UpsertNode("User", "bob", {"email": "bob@x", "created_at": 1e300, "disabled": True}),
        UpsertNode("Integration", "pg", {"name": "pg", "type": "postgresql", "tags": []}),
        UpsertNode("Resource", "db", {"name": "db", "tags": ["a,b", 'q"', "x;y", "ü", ""]}),
        UpsertNode("AuditEvent", "e1", {**_event(), "seq": 2**62, "page": -3}),
        UpsertEdge("REPORTS_TO", alice, bob),  # the empty key
        UpsertEdge("PART_OF", NodeRef("Resource", "db"), NodeRef("Integration", "pg"), "k,1"),
        UpsertEdge(
            "HAS_ACCESS",
            alice,
            NodeRef("Resource", "db"),
            'g"1',
            {"grant": ODD, "permissions": [], "standing": False, "expires_at": -0.5},
        ),
        UpsertEdge("HAS_ACCESS", bob, NodeRef("Resource", "db"), "g2", {"permissions": ["read"]}),
    ]


def _event() -> dict[str, Any]:
    return {"at": 5.0, "kind": "k", "prev": "", "hash": "h", "data": ODD}


def _batches() -> list[list[WriteOp]]:
    return [*generate(200, seed=7, batch_size=700), _awkward()]


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GraphStore]:
    directory = tmp_path_factory.mktemp("csv")
    write_csv(_batches(), directory)
    with running_neo4j(import_dir=str(directory)) as url:
        store = open_store(url)  # Keyturn's start-up on the imported store
        try:
            yield store
        finally:
            store.close()


@pytest.fixture(scope="module")
def online(neo4j_url: str) -> Iterator[GraphStore]:
    store = open_store(neo4j_url)
    store.clear()
    store.import_batches(_batches())
    try:
        yield store
    finally:
        store.clear()
        store.close()


def _typed(props: Any) -> dict[str, tuple[str, Any]]:
    """Each property with its type; an empty list as no property (see the docstring)."""
    return {name: (type(value).__name__, value) for name, value in props.items() if value != []}


def _nodes(store: GraphStore, kind: str) -> list[tuple[str, dict[str, tuple[str, Any]]]]:
    return [(node.key, _typed(node.props)) for node in store.find_nodes(kind)]


def _edges(store: GraphStore, kind: str) -> list[tuple[Any, ...]]:
    found = [(e.src, e.dst, e.key, sorted(_typed(e.props).items())) for e in store.edges(kind)]
    return sorted(found, key=repr)


def test_imported_nodes_hold_the_same_properties_with_the_same_types(
    imported: GraphStore, online: GraphStore
) -> None:
    for kind in NODE_KINDS:
        assert _nodes(imported, kind) == _nodes(online, kind), kind
    assert len(imported.find_nodes("User")) == 202


def test_imported_edges_have_the_same_endpoints_keys_and_properties(
    imported: GraphStore, online: GraphStore
) -> None:
    for kind in EDGE_KINDS:
        assert _edges(imported, kind) == _edges(online, kind), kind
    assert len(_edges(imported, "HAS_ACCESS")) > 500


def test_awkward_values_survive_the_csv_round_trip(imported: GraphStore) -> None:
    alice = imported.get_node("User", 'al,i"ce\n')
    assert alice is not None
    assert alice.props == {"email": ODD, "name": "", "disabled": False, "created_at": 0.1}
    resource = imported.get_node("Resource", "db")
    assert resource is not None and list(resource.props["tags"]) == ["a,b", 'q"', "x;y", "ü", ""]
    integration = imported.get_node("Integration", "pg")
    assert integration is not None and "tags" not in integration.props, "an empty list"
    event = imported.get_node("AuditEvent", "e1")
    assert event is not None and event.props["seq"] == 2**62 and event.props["page"] == -3
    (reports,) = imported.edges("REPORTS_TO", src=NodeRef("User", alice.key))
    assert reports.key == ""


def test_imported_graph_answers_the_analyses_as_the_online_one(
    imported: GraphStore, online: GraphStore
) -> None:
    users = [NodeRef("User", f"u{i}") for i in range(0, 200, 7)]
    resources = [NodeRef("Resource", f"r{i}") for i in range(0, 200, 7)]
    reached = 0
    for user in users:
        access = imported.effective_access(user, NOW)
        assert access == online.effective_access(user, NOW), user
        reached += len(access)
    for resource in resources:
        assert imported.who_can_access(resource, NOW) == online.who_can_access(resource, NOW)
    assert reached > 0, "the sample must reach some access to compare anything"


def test_keyturn_start_up_migrates_the_imported_store_and_its_key_constraints_hold(
    imported: GraphStore,
) -> None:
    assert imported.schema_version() == latest()
    imported.write([UpsertNode("User", "u0", {"role": "admin"})])  # merges, no second u0
    assert len(imported.find_nodes("User", equals={"email": "u0@corp.example"})) == 1
    assert imported.get_node("User", "u0").props["role"] == "admin"  # type: ignore[union-attr]


def test_launcher_refuses_an_import_directory_without_node_files(tmp_path: Path) -> None:
    refused = pytest.raises(RuntimeError, match=r"holds no nodes-\*\.csv file")
    with refused, running_neo4j(import_dir=str(tmp_path)):
        pass
