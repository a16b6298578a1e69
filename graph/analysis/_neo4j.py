"""The analyses on Neo4j: one Cypher query each, its rows turned into the shared results.

Labels come only from graph.model (checked here) and every value is a parameter. The
canonical route (shortest, then keys first) is chosen in Cypher by ordering the paths
and keeping the first per group, as the embedded backend chooses it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from graph.analysis.results import (
    MAX_NESTING,
    Access,
    AccessPath,
    BlastRadius,
    Requester,
    access_order,
    blast_radius_of,
    path_order,
    requester_order,
)
from graph.model import NODE_KINDS
from graph.store import NodeRef

Read = Callable[..., list[Mapping[str, Any]]]
"""Runs one read query with keyword parameters and returns its rows."""

_N = MAX_NESTING
_REF = "[head(labels({0})), {0}.key]"
_ACTIVE = "({0}.expires_at IS NULL OR {0}.expires_at > $now)"
_IDENTITY = "(i:`User` OR i:`ExternalUser`)"


def _label(kind: str) -> str:
    if kind not in NODE_KINDS:
        raise ValueError(f"`{kind}` is not a declared node kind")
    return f"`{kind}`"


def _canonical(start: str, path: str, *keep: str) -> str:
    """Keep, per `keep` group, the first of `path`'s routes (shortest, then keys first)."""
    kept = ", ".join(keep)
    return (
        f"WITH {kept}, {path} ORDER BY length({path}), [n IN nodes({path}) | n.key]\n"
        f"WITH {kept}, head(collect([n IN nodes({path}) | {_REF.format('n')}])) AS {start}\n"
    )


def _effective_access_query(kind: str) -> str:
    return (
        f"MATCH (i:{_label(kind)} {{key: $key}})\n"
        f"MATCH p = (i)-[:`MEMBER_OF`*0..{_N}]->(h)\n"
        + _canonical("chain", "p", "i", "h")
        + f"MATCH (h)-[g:`HAS_ACCESS`]->(t)\nWHERE {_ACTIVE.format('g')}\n"
        f"MATCH q = (r)-[:`PART_OF`*0..{_N}]->(t)\n"
        + _canonical("up", "q", "i", "chain", "g", "t", "r")
    )


# One record holding every row: the driver reads each record on its own (a few socket
# reads and a decode apiece), which costs more than the server's work on a large result.
_ACCESS_ROWS = "RETURN collect([chain, up, g.key, properties(g)]) AS rows"


def effective_access(read: Read, identity: NodeRef, now: float) -> list[Access]:
    query = _effective_access_query(identity.kind) + _ACCESS_ROWS
    (record,) = read(query, key=identity.key, now=now)
    return sorted((_access(*row) for row in record["rows"]), key=access_order)


def who_can_access(read: Read, resource: NodeRef, now: float) -> list[Access]:
    query = (
        f"MATCH (r:{_label(resource.kind)} {{key: $key}})\n"
        f"MATCH q = (r)-[:`PART_OF`*0..{_N}]->(t)\n"
        + _canonical("up", "q", "r", "t")
        + f"MATCH (t)<-[g:`HAS_ACCESS`]-(h)\nWHERE {_ACTIVE.format('g')}\n"
        f"MATCH p = (i)-[:`MEMBER_OF`*0..{_N}]->(h)\nWHERE {_IDENTITY}\n"
        + _canonical("chain", "p", "up", "g", "h", "i")
        + _ACCESS_ROWS
    )
    (record,) = read(query, key=resource.key, now=now)
    return sorted((_access(*row) for row in record["rows"]), key=access_order)


def blast_radius(read: Read, identity: NodeRef, now: float) -> BlastRadius:
    query = (
        _effective_access_query(identity.kind) + "WITH DISTINCT r WHERE r:`Resource`\n"
        f"OPTIONAL MATCH q = (r)-[:`PART_OF`*1..{_N}]->(x:`Integration`)\n"
        "WITH r, x, q ORDER BY length(q), x.key\n"
        "RETURN r.key AS key, head(collect(x.key)) AS integration, r.tags AS tags"
    )
    rows = read(query, key=identity.key, now=now)
    return blast_radius_of(
        identity, ((row["key"], row["integration"], row["tags"] or []) for row in rows)
    )


def who_could_request(read: Read, resource: NodeRef) -> list[Requester]:
    query = (
        f"MATCH (r:{_label(resource.kind)} {{key: $key}})\n"
        # a flow covers the resource, an ancestor, or a bundle (nested or not) holding one
        f"MATCH (r)-[:`PART_OF`*0..{_N}]->()<-[:`COVERS`*]-(f:`AccessFlow`)\n"
        "WHERE coalesce(f.enabled, true) = true\n"
        "WITH DISTINCT f\n"
        "OPTIONAL MATCH (f)-[:`ALLOWS`]->(a)\n"
        f"OPTIONAL MATCH p = (i)-[:`MEMBER_OF`*0..{_N}]->(a)\nWHERE {_IDENTITY}\n"
        + _canonical("chain", "p", "f", "i")
        + "RETURN f.key AS flow, f.definition AS definition, chain"
    )
    found: dict[tuple[str, str, str], Requester] = {}
    everyone_flows = set()
    for row in read(query, key=resource.key):
        if _opens_to_everyone(row["definition"]):
            everyone_flows.add(row["flow"])
        elif row["chain"]:
            identity = NodeRef(*row["chain"][0])
            groups = tuple(key for _, key in row["chain"][1:])
            found[(identity.kind, identity.key, row["flow"])] = Requester(
                identity, row["flow"], groups
            )
    if everyone_flows:
        users = read(
            "MATCH (u:`User`) WHERE coalesce(u.disabled, false) = false RETURN u.key AS key"
        )
        for flow in everyone_flows:
            for row in users:
                identity = NodeRef("User", row["key"])
                found[("User", row["key"], flow)] = Requester(identity, flow, everyone=True)
    return sorted(found.values(), key=requester_order)


def access_paths(
    read: Read, identity: NodeRef, resource: NodeRef, max_depth: int, now: float | None
) -> list[AccessPath]:
    query = (
        f"MATCH (i:{_label(identity.kind)} {{key: $identity}})\n"
        f"MATCH (r:{_label(resource.kind)} {{key: $resource}})\n"
        f"MATCH p = (i)-[:`MEMBER_OF`*0..{_N}]->(h)-[g:`HAS_ACCESS`]->(t)"
        f"<-[:`PART_OF`*0..{_N}]-(r)\n"
        f"WHERE length(p) <= $max_depth AND ($now IS NULL OR {_ACTIVE.format('g')})\n"
        f"RETURN DISTINCT [n IN nodes(p) | {_REF.format('n')}] AS nodes, "
        "[e IN relationships(p) | type(e)] AS kinds"
    )
    rows = read(query, identity=identity.key, resource=resource.key, max_depth=max_depth, now=now)
    paths = {
        AccessPath(tuple(NodeRef(*n) for n in row["nodes"]), tuple(row["kinds"])) for row in rows
    }
    return sorted(paths, key=path_order)


def _access(
    chain: Sequence[Sequence[str]],
    up: Sequence[Sequence[str]],
    grant: str | None,
    props: Mapping[str, Any],
) -> Access:
    return Access(
        identity=NodeRef(*chain[0]),
        resource=NodeRef(*up[0]),
        grant=grant or "",
        holder=NodeRef(*chain[-1]),
        granted_on=NodeRef(*up[-1]),
        groups=tuple(key for _, key in chain[1:]),
        parents=tuple(NodeRef(*n) for n in up[1:]),
        permissions=tuple(sorted(props.get("permissions") or [])),
        standing=bool(props.get("standing", False)),
        expires_at=props.get("expires_at"),
    )


def _opens_to_everyone(definition: str | None) -> bool:
    try:
        parsed = json.loads(definition or "{}")
    except ValueError:
        return False
    return isinstance(parsed, dict) and parsed.get("everyone") is True
