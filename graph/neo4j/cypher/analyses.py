"""The auditors' analyses in Cypher, one query each. The canonical route (shortest, then
keys first) is chosen in Cypher by ordering the paths and keeping the first per group, as
the embedded backend chooses it."""

from __future__ import annotations

from graph.analysis.results import MAX_NESTING
from graph.neo4j.cypher._names import ACTIVE, REF, label

_N = MAX_NESTING
_IDENTITY = "(i:`User` OR i:`ExternalUser`)"

# One record holding every row: the driver reads each record on its own (a few socket
# reads and a decode apiece), which costs more than the server's work on a large result.
_ACCESS_ROWS = "RETURN collect([chain, up, g.key, properties(g)]) AS rows"


def _canonical(start: str, path: str, *keep: str) -> str:
    """Keep, per `keep` group, the first of `path`'s routes (shortest, then keys first)."""
    kept = ", ".join(keep)
    return (
        f"WITH {kept}, {path} ORDER BY length({path}), [n IN nodes({path}) | n.key]\n"
        f"WITH {kept}, head(collect([n IN nodes({path}) | {REF.format('n')}])) AS {start}\n"
    )


def _reached(kind: str) -> str:
    """Every (identity, chain, grant, granted-on, resource) the identity `$key` reaches."""
    return (
        f"MATCH (i:{label(kind)} {{key: $key}})\n"
        f"MATCH p = (i)-[:`MEMBER_OF`*0..{_N}]->(h)\n"
        + _canonical("chain", "p", "i", "h")
        + f"MATCH (h)-[g:`HAS_ACCESS`]->(t)\nWHERE {ACTIVE.format('g')}\n"
        f"MATCH q = (r)-[:`PART_OF`*0..{_N}]->(t)\n"
        + _canonical("up", "q", "i", "chain", "g", "t", "r")
    )


def effective_access(kind: str) -> str:
    """The grants of identity `$key` (with their canonical group chains), then, once per
    node a grant names, the PART_OF edges below it (parent key or null for the node
    itself, child key): the walk down is done by the caller."""
    return (
        f"MATCH (i:{label(kind)} {{key: $key}})\n"
        f"MATCH p = (i)-[:`MEMBER_OF`*0..{_N}]->(h)\n"
        + _canonical("chain", "p", "h")
        + f"MATCH (h)-[g:`HAS_ACCESS`]->(t)\nWHERE {ACTIVE.format('g')}\n"
        f"WITH collect([chain, g.key, properties(g), {REF.format('t')}]) AS grants,\n"
        "  collect(DISTINCT t) AS targets\n"
        "CALL (targets) {\n"
        "  UNWIND targets AS t\n"
        f"  MATCH (t)<-[:`PART_OF`*0..{_N - 1}]-(m)\n"
        "  WITH DISTINCT t, m\n"
        "  MATCH (m)<-[:`PART_OF`]-(c)\n"
        # only a Resource is PART_OF anything: children need no label, nor parents but t
        "  WITH t, collect([CASE m WHEN t THEN null ELSE m.key END, c.key]) AS edges\n"
        f"  RETURN collect([{REF.format('t')}, edges]) AS below\n"
        "}\n"
        "RETURN grants, below"
    )


def who_can_access(kind: str) -> str:
    return (
        f"MATCH (r:{label(kind)} {{key: $key}})\n"
        f"MATCH q = (r)-[:`PART_OF`*0..{_N}]->(t)\n"
        + _canonical("up", "q", "r", "t")
        + f"MATCH (t)<-[g:`HAS_ACCESS`]-(h)\nWHERE {ACTIVE.format('g')}\n"
        f"MATCH p = (i)-[:`MEMBER_OF`*0..{_N}]->(h)\nWHERE {_IDENTITY}\n"
        + _canonical("chain", "p", "up", "g", "h", "i")
        + _ACCESS_ROWS
    )


def blast_radius(kind: str) -> str:
    return (
        _reached(kind) + "WITH DISTINCT r WHERE r:`Resource`\n"
        f"OPTIONAL MATCH q = (r)-[:`PART_OF`*1..{_N}]->(x:`Integration`)\n"
        "WITH r, x, q ORDER BY length(q), x.key\n"
        "RETURN r.key AS key, head(collect(x.key)) AS integration, r.tags AS tags"
    )


def who_could_request(kind: str) -> str:
    return (
        f"MATCH (r:{label(kind)} {{key: $key}})\n"
        # a flow covers the resource, an ancestor, or a bundle (nested or not) holding one
        f"MATCH (r)-[:`PART_OF`*0..{_N}]->()<-[:`COVERS`*]-(f:`AccessFlow`)\n"
        "WHERE coalesce(f.enabled, true) = true\n"
        "WITH DISTINCT f\n"
        "OPTIONAL MATCH (f)-[:`ALLOWS`]->(a)\n"
        f"OPTIONAL MATCH p = (i)-[:`MEMBER_OF`*0..{_N}]->(a)\nWHERE {_IDENTITY}\n"
        + _canonical("chain", "p", "f", "i")
        + "RETURN f.key AS flow, f.definition AS definition, chain"
    )


ENABLED_USERS = "MATCH (u:`User`) WHERE coalesce(u.disabled, false) = false RETURN u.key AS key"


def access_paths(identity_kind: str, resource_kind: str) -> str:
    return (
        f"MATCH (i:{label(identity_kind)} {{key: $identity}})\n"
        f"MATCH (r:{label(resource_kind)} {{key: $resource}})\n"
        f"MATCH p = (i)-[:`MEMBER_OF`*0..{_N}]->(h)-[g:`HAS_ACCESS`]->(t)"
        f"<-[:`PART_OF`*0..{_N}]-(r)\n"
        f"WHERE length(p) <= $max_depth AND ($now IS NULL OR {ACTIVE.format('g')})\n"
        f"RETURN DISTINCT [n IN nodes(p) | {REF.format('n')}] AS nodes, "
        "[e IN relationships(p) | type(e)] AS kinds"
    )
