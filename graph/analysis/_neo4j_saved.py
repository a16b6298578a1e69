"""The saved audit queries on Neo4j, each one Cypher statement (graph.analysis.saved holds
their names, descriptions and generic versions, which read the graph several times).

Each statement returns one record holding every finding as `[subject, target, detail]`,
nodes as `[label, key]`; graph.analysis.saved sorts and deduplicates them. The contract
suite checks that every backend gives the same answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from graph.analysis._neo4j import Read
from graph.analysis.results import MAX_NESTING
from graph.analysis.saved import Finding, Run
from graph.store import NodeRef

if TYPE_CHECKING:
    from graph.store import GraphStore

_N = MAX_NESTING
_REF = "[head(labels({0})), {0}.key]"
_ACTIVE = "(g.expires_at IS NULL OR g.expires_at > $now)"
_GRANTS = f"collect([{_REF.format('a')}, {_REF.format('b')}, coalesce(g.key, '')]) AS rows"

STATEMENTS: Mapping[str, str] = {
    "standing_admin_access": (
        "MATCH (a)-[g:`HAS_ACCESS`]->(b)\n"
        "WHERE g.standing = true AND $permission IN coalesce(g.permissions, [])\n"
        f"RETURN {_GRANTS}"
    ),
    "grants_never_used": (
        "MATCH (a)-[g:`HAS_ACCESS`]->(b)\n"
        f"WHERE g.last_used_at IS NULL AND {_ACTIVE}\n"
        f"RETURN {_GRANTS}"
    ),
    "external_users_with_access": (
        f"MATCH (i:`ExternalUser`)-[:`MEMBER_OF`*0..{_N}]->(h)-[g:`HAS_ACCESS`]->(t)\n"
        f"WHERE {_ACTIVE}\n"
        f"MATCH (r)-[:`PART_OF`*0..{_N}]->(t)\n"
        f"WITH DISTINCT i, r, g\n"
        f"RETURN collect([{_REF.format('i')}, {_REF.format('r')}, coalesce(g.key, '')]) AS rows"
    ),
    "access_to_tagged_resources": (
        "MATCH (r:`Resource`) WHERE $tag IN coalesce(r.tags, [])\n"
        f"MATCH (r)-[:`PART_OF`*0..{_N}]->(t)<-[g:`HAS_ACCESS`]-(h)\n"
        f"WHERE {_ACTIVE}\n"
        f"MATCH (i)-[:`MEMBER_OF`*0..{_N}]->(h)\n"
        "WHERE i:`User` OR i:`ExternalUser`\n"
        f"WITH DISTINCT i, r, g\n"
        f"RETURN collect([{_REF.format('i')}, {_REF.format('r')}, coalesce(g.key, '')]) AS rows"
    ),
    "approved_by_a_report": (
        "MATCH (m:`User`)-[:`APPROVED`]->(q:`AccessRequest`)<-[:`REQUESTED`]-(i)\n"
        "WHERE EXISTS { (m)-[:`REPORTS_TO`]->(i) }\n"
        "WITH DISTINCT m, q, i\n"
        f"RETURN collect([{_REF.format('m')}, {_REF.format('q')}, "
        "'reports to ' + i.key]) AS rows"
    ),
    # a group's depth: 1 + the longest upward chain of distinct groups (as the generic one)
    "groups_nested_deeper_than": (
        "MATCH (g:`Group`)\n"
        f"OPTIONAL MATCH p = (g)-[:`MEMBER_OF`*1..{_N}]->(:`Group`)\n"
        "WHERE all(n IN nodes(p) WHERE single(m IN nodes(p) WHERE m = n))\n"
        "WITH g, coalesce(max(length(p)), 0) + 1 AS depth\n"
        "WHERE depth > $depth\n"
        f"RETURN collect([{_REF.format('g')}, null, 'depth ' + toString(depth)]) AS rows"
    ),
}


def runners(read: Read) -> dict[str, Run]:
    """Each saved query as one statement through `read`."""
    return {name: _runner(read, name) for name in STATEMENTS}


def _runner(read: Read, name: str) -> Run:
    def run(_store: GraphStore, params: Mapping[str, Any]) -> list[Finding]:
        given = {**params, "depth": int(params["depth"])} if "depth" in params else params
        (record,) = read(STATEMENTS[name], **given)
        return [_finding(*row) for row in record["rows"]]

    return run


def _finding(subject: list[str], target: list[str] | None, detail: str) -> Finding:
    return Finding(NodeRef(*subject), NodeRef(*target) if target else None, detail)
