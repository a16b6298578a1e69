"""The analyses on Neo4j: one Cypher query each (graph.neo4j.cypher.analyses), its rows
turned into the shared results."""

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
    grant_terms,
    path_order,
    requester_order,
)
from graph.model import EDGE_KINDS
from graph.neo4j.cypher import analyses as cypher
from graph.values import NodeRef

Read = Callable[..., list[Mapping[str, Any]]]
"""Runs one read query with keyword parameters and returns its rows."""

_N = MAX_NESTING
(_PART,) = EDGE_KINDS["PART_OF"].sources  # the one kind that is PART_OF anything


def effective_access(read: Read, identity: NodeRef, now: float) -> list[Access]:
    """The grants (with their canonical group chains), then, once per node a grant names,
    the PART_OF edges below it; the walk down is done here, as on the embedded graph.
    A person reaching thousands of resources through a few grants thus costs the server
    one short walk per grant, and the wire a few values per resource, not a path per
    (grant, resource) pair with the grant's properties repeated."""
    query = cypher.effective_access(identity.kind)
    (record,) = read(query, key=identity.key, now=now)
    below = {_node(t): _chains_into(_node(t), edges) for t, edges in record["below"]}
    found: list[Access] = []
    for chain, grant, props, target in record["grants"]:
        holder, groups = NodeRef(*chain[-1]), tuple(key for _, key in chain[1:])
        granted_on = _node(target)
        how = grant_terms(props)
        for up in below.get(granted_on, [(NodeRef(*granted_on),)]):
            found.append(Access(identity, up[0], grant, holder, up[-1], groups, up[1:], *how))
    return sorted(found, key=access_order)


def _chains_into(
    end: tuple[str, str], edges: Sequence[tuple[str | None, str]]
) -> list[tuple[NodeRef, ...]]:
    """Each node within MAX_NESTING PART_OF edges below `end` with its canonical chain up to
    `end` (the shortest, then the one whose keys sort first), as the embedded graph walks
    it; `edges` are (parent key, child key) pairs of resources within that depth, a parent
    None standing for `end`."""
    children: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for parent_key, child_key in edges:
        above = end if parent_key is None else (_PART, parent_key)
        children.setdefault(above, []).append((_PART, child_key))
    best: dict[tuple[str, str], tuple[NodeRef, ...]] = {end: (NodeRef(*end),)}
    frontier = [end]
    for _ in range(_N):
        found: dict[tuple[str, str], tuple[NodeRef, ...]] = {}
        for node in frontier:
            chain = best[node]
            for child in children.get(node, ()):
                if child in best:
                    continue
                seen = found.get(child)
                # mostly one way up (a resource has one parent): compare only when not
                if seen is None or _keys(chain) < _keys(seen[1:]):
                    found[child] = (NodeRef(*child), *chain)
        best.update(found)
        frontier = list(found)
    return list(best.values())


def _keys(chain: tuple[NodeRef, ...]) -> tuple[str, ...]:
    return tuple(ref.key for ref in chain)


def _node(ref: Sequence[str]) -> tuple[str, str]:
    return (ref[0], ref[1])


def who_can_access(read: Read, resource: NodeRef, now: float) -> list[Access]:
    query = cypher.who_can_access(resource.kind)
    (record,) = read(query, key=resource.key, now=now)
    return sorted((_access(*row) for row in record["rows"]), key=access_order)


def blast_radius(read: Read, identity: NodeRef, now: float) -> BlastRadius:
    query = cypher.blast_radius(identity.kind)
    rows = read(query, key=identity.key, now=now)
    return blast_radius_of(
        identity, ((row["key"], row["integration"], row["tags"] or []) for row in rows)
    )


def who_could_request(read: Read, resource: NodeRef) -> list[Requester]:
    query = cypher.who_could_request(resource.kind)
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
        users = read(cypher.ENABLED_USERS)
        for flow in everyone_flows:
            for row in users:
                identity = NodeRef("User", row["key"])
                found[("User", row["key"], flow)] = Requester(identity, flow, everyone=True)
    return sorted(found.values(), key=requester_order)


def access_paths(
    read: Read, identity: NodeRef, resource: NodeRef, max_depth: int, now: float | None
) -> list[AccessPath]:
    query = cypher.access_paths(identity.kind, resource.kind)
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
        NodeRef(*chain[0]),  # identity
        NodeRef(*up[0]),  # resource
        grant or "",
        NodeRef(*chain[-1]),  # holder
        NodeRef(*up[-1]),  # granted on
        tuple(key for _, key in chain[1:]),  # groups
        tuple(NodeRef(*n) for n in up[1:]),  # parents
        *grant_terms(props),
    )


def _opens_to_everyone(definition: str | None) -> bool:
    try:
        parsed = json.loads(definition or "{}")
    except ValueError:
        return False
    return isinstance(parsed, dict) and parsed.get("everyone") is True
