"""The saved audit queries on Neo4j, each one Cypher statement (graph.neo4j.cypher.saved;
graph.analysis.saved holds their names, descriptions and generic versions, which read the
graph several times).

Each statement returns one record holding every finding as `[subject, target, detail]`,
nodes as `[label, key]`; graph.analysis.saved sorts and deduplicates them. The contract
suite checks that every backend gives the same answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from graph.analysis.saved import Finding, Run
from graph.neo4j._analysis import Read
from graph.neo4j.cypher import saved as cypher
from graph.values import NodeRef

if TYPE_CHECKING:
    from graph.store import GraphStore


def runners(read: Read) -> dict[str, Run]:
    """Each saved query as one statement through `read`."""
    return {name: _runner(read, name) for name in cypher.SAVED}


def _runner(read: Read, name: str) -> Run:
    def run(_store: GraphStore, params: Mapping[str, Any]) -> list[Finding]:
        given = {**params, "depth": int(params["depth"])} if "depth" in params else params
        (record,) = read(cypher.SAVED[name], **given)
        return [_finding(*row) for row in record["rows"]]

    return run


def _finding(subject: list[str], target: list[str] | None, detail: str) -> Finding:
    return Finding(NodeRef(*subject), NodeRef(*target) if target else None, detail)
