"""The analyses over the embedded backend's in-memory graph (the store holds its lock)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
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
from graph.embedded._memory import EdgeId, MemoryGraph, NodeId
from graph.model import IDENTITIES
from graph.values import NodeRef

Chain = tuple[NodeId, ...]


def effective_access(memory: MemoryGraph, identity: NodeId, now: float) -> list[Access]:
    found: list[Access] = []
    me = NodeRef(*identity)
    below: dict[NodeId, list[_Down]] = {}  # granted-on node -> what a grant on it reaches
    for holder, groups in canonical_chains(memory, identity, "MEMBER_OF", forward=True).items():
        holder_ref, group_keys = NodeRef(*holder), tuple(g[1] for g in groups[1:])
        for (_, _, target, key), props in memory.out_edges(holder, "HAS_ACCESS"):
            if not _active(props, now):
                continue
            if target not in below:
                below[target] = _reached_below(memory, target)
            how = grant_terms(props)
            found.extend(
                Access(me, resource, key, holder_ref, granted_on, group_keys, parents, *how)
                for resource, granted_on, parents in below[target]
            )
    return sorted(found, key=access_order)


def who_can_access(memory: MemoryGraph, resource: NodeId, now: float) -> list[Access]:
    found: list[Access] = []
    members: dict[NodeId, list[tuple[NodeRef, tuple[str, ...]]]] = {}  # holder -> identities
    resource_ref = NodeRef(*resource)
    for target, up in canonical_chains(memory, resource, "PART_OF", forward=True).items():
        target_ref, parents = NodeRef(*target), tuple(NodeRef(*n) for n in up[1:])
        for (_, holder, _, key), props in memory.in_edges(target, "HAS_ACCESS"):
            if not _active(props, now):
                continue
            if holder not in members:
                members[holder] = [
                    (NodeRef(*identity), tuple(g[1] for g in chain[1:]))
                    for identity, chain in _chains_into(memory, holder, "MEMBER_OF").items()
                    if identity[0] in IDENTITIES
                ]
            holder_ref, how = NodeRef(*holder), grant_terms(props)
            found.extend(
                Access(who, resource_ref, key, holder_ref, target_ref, groups, parents, *how)
                for who, groups in members[holder]
            )
    return sorted(found, key=access_order)


_Down = tuple[NodeRef, NodeRef, tuple[NodeRef, ...]]
"""A resource a grant reaches, the node the grant names, and the parents between them."""


def _reached_below(memory: MemoryGraph, target: NodeId) -> list[_Down]:
    refs = _chain_refs(_chains_into(memory, target, "PART_OF"))
    granted_on = refs[target][0]
    return [(up[0], granted_on, up[1:]) for up in refs.values()]


def blast_radius(memory: MemoryGraph, identity: NodeId, now: float) -> BlastRadius:
    reached: list[tuple[str, str | None, list[str]]] = []
    for access in effective_access(memory, identity, now):
        nid = (access.resource.kind, access.resource.key)
        if nid[0] != "Resource":
            continue
        ancestors = canonical_chains(memory, nid, "PART_OF", forward=True)
        integrations = sorted(
            (len(chain), a[1]) for a, chain in ancestors.items() if a[0] == "Integration"
        )
        props = memory.node(nid) or {}
        integration = integrations[0][1] if integrations else None
        reached.append((nid[1], integration, list(props.get("tags") or [])))
    return blast_radius_of(NodeRef(*identity), reached)


def who_could_request(memory: MemoryGraph, resource: NodeId) -> list[Requester]:
    found: dict[tuple[NodeId, str], Requester] = {}
    targets = list(canonical_chains(memory, resource, "PART_OF", forward=True))
    for target in targets + sorted(covering_bundles(memory, targets)):
        for (_, flow, _, _), _props in _in(memory, target, "COVERS"):
            props = memory.node(flow) or {}
            if flow[0] != "AccessFlow" or props.get("enabled", True) is not True:
                continue
            for requester in _requesters_of(memory, flow, props):
                found.setdefault((requester[0], flow[1]), requester[1])
    return sorted(found.values(), key=requester_order)


def access_paths(
    memory: MemoryGraph, identity: NodeId, resource: NodeId, max_depth: int, now: float | None
) -> list[AccessPath]:
    ups = dict(_trails(memory, resource, "PART_OF", forward=True, limit=max_depth))
    found: set[AccessPath] = set()
    for member_trail in _trails(memory, identity, "MEMBER_OF", forward=True, limit=max_depth):
        holder = member_trail[1][-1]
        for (_, _, target, _), props in _out(memory, holder, "HAS_ACCESS"):
            if now is not None and not _active(props, now):
                continue
            for up_edges, up_nodes in ups.items():
                if up_nodes[-1] != target or len(member_trail[0]) + 1 + len(up_edges) > max_depth:
                    continue
                nodes = member_trail[1] + tuple(reversed(up_nodes))
                kinds = ("MEMBER_OF",) * len(member_trail[0]) + ("HAS_ACCESS",)
                kinds += ("PART_OF",) * len(up_edges)
                found.add(AccessPath(tuple(NodeRef(*n) for n in nodes), kinds))
    return sorted(found, key=path_order)


def covering_bundles(memory: MemoryGraph, targets: list[NodeId]) -> set[NodeId]:
    """Bundles with a COVERS edge into `targets`, or into a bundle found so, and so on."""
    found: set[NodeId] = set()
    frontier = targets
    while frontier:
        covering = {
            eid[1]
            for nid in frontier
            for eid, _ in memory.in_edges(nid, "COVERS")
            if eid[1][0] == "Bundle"
        }
        frontier = list(covering - found)
        found |= covering
    return found


def canonical_chains(
    memory: MemoryGraph, start: NodeId, edge_kind: str, *, forward: bool
) -> dict[NodeId, Chain]:
    """Every node within MAX_NESTING edges of `start` (itself included) with its canonical
    chain from `start`: the shortest, then the one whose keys sort first."""
    best: dict[NodeId, Chain] = {start: (start,)}
    frontier = [start]
    for _ in range(MAX_NESTING):
        following: dict[NodeId, Chain] = {}
        for node in frontier:
            edges = _out(memory, node, edge_kind) if forward else _in(memory, node, edge_kind)
            for eid, _ in edges:
                nxt = eid[2] if forward else eid[1]
                if nxt in best:
                    continue
                chain = best[node] + (nxt,)
                if nxt not in following or _keys(chain) < _keys(following[nxt]):
                    following[nxt] = chain
        best.update(following)
        frontier = list(following)
    return best


def _chains_into(memory: MemoryGraph, end: NodeId, edge_kind: str) -> dict[NodeId, Chain]:
    """Every node within MAX_NESTING edges before `end` with its canonical chain to `end`
    (as `canonical_chains` would choose it from that node), found in one backward walk."""
    best: dict[NodeId, Chain] = {end: (end,)}
    frontier = {end}
    for _ in range(MAX_NESTING):
        before = {eid[1] for node in frontier for eid, _ in _in(memory, node, edge_kind)}
        before -= best.keys()
        for node in before:
            onward = [eid[2] for eid, _ in _out(memory, node, edge_kind) if eid[2] in frontier]
            # mostly one way on (a resource has one parent): no need to compare chains then
            nxt = onward[0] if len(onward) == 1 else min(onward, key=lambda n: _keys(best[n]))
            best[node] = (node, *best[nxt])
        frontier = before
    return best


def _chain_refs(chains: dict[NodeId, Chain]) -> dict[NodeId, tuple[NodeRef, ...]]:
    """Each chain of `_chains_into` as NodeRefs, sharing the refs of the chains it extends
    (a chain's next node always comes earlier in `chains`)."""
    refs: dict[NodeId, tuple[NodeRef, ...]] = {}
    for node, chain in chains.items():
        refs[node] = (NodeRef(*node), *refs[chain[1]]) if len(chain) > 1 else (NodeRef(*node),)
    return refs


def _requesters_of(
    memory: MemoryGraph, flow: NodeId, props: Mapping[str, Any]
) -> Iterator[tuple[NodeId, Requester]]:
    if _opens_to_everyone(props):
        for key in memory.keys_of("User"):
            user = memory.node(("User", key)) or {}
            if not user.get("disabled", False):
                yield ("User", key), Requester(NodeRef("User", key), flow[1], everyone=True)
        return
    allowed = {eid[2] for eid, _ in _out(memory, flow, "ALLOWS")}
    candidates: set[NodeId] = set()
    for principal in allowed:
        candidates.update(canonical_chains(memory, principal, "MEMBER_OF", forward=False))
    for identity in sorted(candidates):
        if identity[0] not in IDENTITIES:
            continue
        chains = canonical_chains(memory, identity, "MEMBER_OF", forward=True)
        best = min((chains[p] for p in allowed if p in chains), key=lambda c: (len(c), _keys(c)))
        groups = tuple(g[1] for g in best[1:])
        yield identity, Requester(NodeRef(*identity), flow[1], groups)


def _opens_to_everyone(props: Mapping[str, Any]) -> bool:
    try:
        definition = json.loads(props.get("definition") or "{}")
    except ValueError:
        return False
    return isinstance(definition, dict) and definition.get("everyone") is True


def _trails(
    memory: MemoryGraph, start: NodeId, edge_kind: str, *, forward: bool, limit: int
) -> Iterator[tuple[tuple[EdgeId, ...], Chain]]:
    """Every walk from `start` over `edge_kind` edges that repeats no edge (as Cypher's
    variable-length patterns do), at most `min(limit, MAX_NESTING)` long."""
    stack: list[tuple[tuple[EdgeId, ...], Chain]] = [((), (start,))]
    while stack:
        used, nodes = stack.pop()
        yield used, nodes
        if len(used) >= min(limit, MAX_NESTING):
            continue
        edges = _out(memory, nodes[-1], edge_kind) if forward else _in(memory, nodes[-1], edge_kind)
        for eid, _ in edges:
            if eid not in used:
                stack.append(((*used, eid), (*nodes, eid[2] if forward else eid[1])))


def _out(memory: MemoryGraph, node: NodeId, kind: str) -> list[tuple[EdgeId, Mapping[str, Any]]]:
    return memory.out_edges(node, kind)


def _in(memory: MemoryGraph, node: NodeId, kind: str) -> list[tuple[EdgeId, Mapping[str, Any]]]:
    return memory.in_edges(node, kind)


def _active(props: Mapping[str, Any], now: float) -> bool:
    expires_at = props.get("expires_at")
    return expires_at is None or expires_at > now


def _keys(chain: Chain) -> tuple[str, ...]:
    return tuple(key for _, key in chain)
