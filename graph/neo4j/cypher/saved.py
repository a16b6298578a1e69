"""The saved audit queries in Cypher, one statement each. Each returns one record holding
every finding as `[subject, target, detail]`, nodes as `[label, key]`."""

from __future__ import annotations

from collections.abc import Mapping

from graph.analysis.results import MAX_NESTING
from graph.neo4j.cypher._names import ACTIVE, REF

_N = MAX_NESTING
_ACTIVE = ACTIVE.format("g")
_GRANTS = f"collect([{REF.format('a')}, {REF.format('b')}, coalesce(g.key, '')]) AS rows"

SAVED: Mapping[str, str] = {
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
        f"RETURN collect([{REF.format('i')}, {REF.format('r')}, coalesce(g.key, '')]) AS rows"
    ),
    "access_to_tagged_resources": (
        "MATCH (r:`Resource`) WHERE $tag IN coalesce(r.tags, [])\n"
        f"MATCH (r)-[:`PART_OF`*0..{_N}]->(t)<-[g:`HAS_ACCESS`]-(h)\n"
        f"WHERE {_ACTIVE}\n"
        f"MATCH (i)-[:`MEMBER_OF`*0..{_N}]->(h)\n"
        "WHERE i:`User` OR i:`ExternalUser`\n"
        f"WITH DISTINCT i, r, g\n"
        f"RETURN collect([{REF.format('i')}, {REF.format('r')}, coalesce(g.key, '')]) AS rows"
    ),
    "approved_by_a_report": (
        "MATCH (m:`User`)-[:`APPROVED`]->(q:`AccessRequest`)<-[:`REQUESTED`]-(i)\n"
        "WHERE EXISTS { (m)-[:`REPORTS_TO`]->(i) }\n"
        "WITH DISTINCT m, q, i\n"
        f"RETURN collect([{REF.format('m')}, {REF.format('q')}, "
        "'reports to ' + i.key]) AS rows"
    ),
    # a group's depth: 1 + the longest upward chain of distinct groups (as the generic one)
    "groups_nested_deeper_than": (
        "MATCH (g:`Group`)\n"
        f"OPTIONAL MATCH p = (g)-[:`MEMBER_OF`*1..{_N}]->(:`Group`)\n"
        "WHERE all(n IN nodes(p) WHERE single(m IN nodes(p) WHERE m = n))\n"
        "WITH g, coalesce(max(length(p)), 0) + 1 AS depth\n"
        "WHERE depth > $depth\n"
        f"RETURN collect([{REF.format('g')}, null, 'depth ' + toString(depth)]) AS rows"
    ),
}
