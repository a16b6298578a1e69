"""graph.neo4j._saved: every saved audit query is one Cypher statement on Neo4j."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graph.analysis import SAVED_QUERIES, Finding, run_saved_query
from graph.neo4j._saved import runners
from graph.neo4j.cypher.saved import SAVED as STATEMENTS
from graph.values import NodeRef


def test_every_saved_query_has_a_single_statement_on_neo4j() -> None:
    assert set(STATEMENTS) == set(SAVED_QUERIES)


def test_a_saved_query_on_neo4j_reads_once_and_turns_rows_into_findings() -> None:
    calls: list[tuple[str, dict[str, Any]]] = []

    def read(query: str, **params: Any) -> list[Mapping[str, Any]]:
        calls.append((query, params))
        return [{"rows": [[["Group", "g1"], None, "depth 4"], [["Group", "g0"], None, "depth 6"]]}]

    found = run_saved_query(None, "groups_nested_deeper_than", {"depth": "3"}, runners(read))  # type: ignore[arg-type]

    assert calls == [(STATEMENTS["groups_nested_deeper_than"], {"depth": 3})]
    assert found == [
        Finding(NodeRef("Group", "g0"), None, "depth 6"),
        Finding(NodeRef("Group", "g1"), None, "depth 4"),
    ]
