"""The in-memory half of the embedded graph: a networkx MultiDiGraph plus per-kind indexes.

Nodes are `(kind, key)` tuples carrying their properties as attributes; edges are keyed
by `(edge kind, edge key)` so two grants on the same resource stay two edges.
Nothing here locks: the store holds its lock around every call.

Besides networkx's adjacency, two indexes keep the hot reads independent of how much
history the graph holds: each node's edges by direction and edge kind (a user with
thousands of past requests still finds its groups and manager at once), and the nodes of
`INDEXED` kinds by property value (the expiry pass reads only GRANTED requests).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import networkx as nx

NodeId = tuple[str, str]
EdgeId = tuple[str, NodeId, NodeId, str]  # edge kind, source, target, edge key
PropDict = dict[str, Any]

# node -> edge kind -> its edges of that kind, in insertion order (as networkx keeps them).
_Adjacency = defaultdict[NodeId, defaultdict[str, dict[EdgeId, None]]]

INDEXED: frozenset[tuple[str, str]] = frozenset({("AccessRequest", "state")})
"""Node properties looked up by value often enough to deserve an index, as in Neo4j."""


@dataclass
class Plan:
    """The final state of everything a write touches; None means deleted."""

    nodes: dict[NodeId, PropDict | None] = field(default_factory=dict)
    edges: dict[EdgeId, PropDict | None] = field(default_factory=dict)


class MemoryGraph:
    def __init__(self) -> None:
        self._graph: Any = nx.MultiDiGraph()
        # Per-kind indexes so kind-scoped reads never scan the whole graph.
        self._node_keys: defaultdict[str, set[str]] = defaultdict(set)
        self._edge_ids: defaultdict[str, set[EdgeId]] = defaultdict(set)
        # node -> edge kind -> edges: out of it, into it.
        self._out: _Adjacency = _adjacency()
        self._in: _Adjacency = _adjacency()
        # (kind, property) in INDEXED -> value -> keys of the nodes holding it.
        self._by_value: defaultdict[tuple[str, str], defaultdict[Any, set[str]]] = defaultdict(
            lambda: defaultdict(set)
        )
        self.version = 0
        """Bumped by every change, so derived views know when they are stale."""

    def load(
        self, nodes: Iterable[tuple[NodeId, PropDict]], edges: Iterable[tuple[EdgeId, PropDict]]
    ) -> None:
        """Bulk-add nodes and edges not in the graph yet (far faster than one by one)."""
        self.version += 1
        node_rows = list(nodes)
        self._graph.add_nodes_from(node_rows)
        for (kind, key), props in node_rows:
            self._node_keys[kind].add(key)
            self._index_values(kind, key, props, add=True)
        edge_rows = list(edges)
        self._graph.add_edges_from(
            (src, dst, (kind, key), props) for (kind, src, dst, key), props in edge_rows
        )
        for eid, _ in edge_rows:
            kind, src, dst, _key = eid
            self._edge_ids[kind].add(eid)
            self._out[src][kind][eid] = None
            self._in[dst][kind][eid] = None

    # --- reads (return the live mappings: callers copy before handing them out) --------

    def node(self, nid: NodeId) -> Mapping[str, Any] | None:
        if nid not in self._graph:
            return None
        return cast(Mapping[str, Any], self._graph.nodes[nid])

    def edge(self, eid: EdgeId) -> Mapping[str, Any] | None:
        kind, src, dst, key = eid
        if not self._graph.has_edge(src, dst, (kind, key)):
            return None
        return cast(Mapping[str, Any], self._graph.succ[src][dst][(kind, key)])

    def keys_of(self, kind: str, equals: Mapping[str, Any] | None = None) -> list[str]:
        """The keys of `kind`, sorted; with `equals`, a superset of those matching it."""
        for name, value in (equals or {}).items():
            if (kind, name) in INDEXED and value is not None:
                try:
                    return sorted(self._by_value[(kind, name)].get(value, ()))
                except TypeError:  # an unhashable value: scan instead
                    break
        return sorted(self._node_keys.get(kind, ()))

    def edges_of(self, kind: str) -> Iterator[tuple[EdgeId, Mapping[str, Any]]]:
        for eid in self._edge_ids.get(kind, ()):
            _, src, dst, key = eid
            yield eid, self._graph.succ[src][dst][(kind, key)]

    def all_nodes(self) -> Iterator[tuple[NodeId, Mapping[str, Any]]]:
        yield from self._graph.nodes(data=True)

    def all_edges(self) -> Iterator[tuple[EdgeId, Mapping[str, Any]]]:
        for src, dst, (kind, key), props in self._graph.edges(keys=True, data=True):
            yield (kind, src, dst, key), props

    def out_edges(
        self, nid: NodeId, kind: str | None = None
    ) -> Iterator[tuple[EdgeId, Mapping[str, Any]]]:
        """Edges leaving `nid` (only those of `kind` when given)."""
        yield from self._incident(self._out, nid, kind)

    def in_edges(
        self, nid: NodeId, kind: str | None = None
    ) -> Iterator[tuple[EdgeId, Mapping[str, Any]]]:
        """Edges entering `nid` (only those of `kind` when given)."""
        yield from self._incident(self._in, nid, kind)

    def _incident(
        self,
        side: _Adjacency,
        nid: NodeId,
        kind: str | None,
    ) -> Iterator[tuple[EdgeId, Mapping[str, Any]]]:
        by_kind = side.get(nid)
        if not by_kind:
            return
        chosen = list(by_kind.values()) if kind is None else [by_kind.get(kind, {})]
        succ = self._graph.succ
        for eids in chosen:
            for eid in list(eids):
                edge_kind, src, dst, key = eid
                yield eid, succ[src][dst][(edge_kind, key)]

    def incident(self, nid: NodeId) -> set[EdgeId]:
        return {eid for eid, _ in self.out_edges(nid)} | {eid for eid, _ in self.in_edges(nid)}

    # --- changes (only ever called with a plan already committed to SQLite) -------------

    def apply(self, plan: Plan) -> None:
        # Deletions first: a write may delete a node and create it again.
        for eid, props in plan.edges.items():
            if props is None:
                self._remove_edge(eid)
        for nid, props in plan.nodes.items():
            if props is None and nid in self._graph:
                # The plan deleted the node's edges above; drop what is left of them.
                for eid in self.incident(nid):
                    self._remove_edge(eid)
                self._index_values(*nid, self._graph.nodes[nid], add=False)
                self._graph.remove_node(nid)
                self._node_keys[nid[0]].discard(nid[1])
                self._out.pop(nid, None)
                self._in.pop(nid, None)
        new_nodes: list[tuple[NodeId, PropDict]] = []
        for nid, props in plan.nodes.items():
            if props is None:
                continue
            current = self.node(nid)
            if current is not None:
                self._index_values(*nid, current, add=False)
                self._index_values(*nid, props, add=True)
            if not _replace(current, props):
                new_nodes.append((nid, props))
        new_edges: list[tuple[EdgeId, PropDict]] = []
        for eid, props in plan.edges.items():
            if props is not None and not _replace(self.edge(eid), props):
                new_edges.append((eid, props))
        self.load(new_nodes, new_edges)  # bulk adds: a sync may create thousands at once

    def clear(self) -> None:
        self.version += 1
        self._graph.clear()
        self._node_keys.clear()
        self._edge_ids.clear()
        self._out.clear()
        self._in.clear()
        self._by_value.clear()

    def _remove_edge(self, eid: EdgeId) -> None:
        kind, src, dst, key = eid
        if self._graph.has_edge(src, dst, (kind, key)):
            self._graph.remove_edge(src, dst, key=(kind, key))
        self._edge_ids[kind].discard(eid)
        if src in self._out:
            self._out[src][kind].pop(eid, None)
        if dst in self._in:
            self._in[dst][kind].pop(eid, None)

    def _index_values(self, kind: str, key: str, props: Mapping[str, Any], *, add: bool) -> None:
        for indexed_kind, name in INDEXED:
            value = props.get(name) if indexed_kind == kind else None
            if value is None:
                continue
            keys = self._by_value[(kind, name)][value]
            if add:
                keys.add(key)
            else:
                keys.discard(key)


def _adjacency() -> _Adjacency:
    return defaultdict(lambda: defaultdict(dict))


def _replace(attrs: Mapping[str, Any] | None, props: PropDict) -> bool:
    """Swap an existing node's or edge's attributes in place; False when it is new."""
    if attrs is None:
        return False
    live = cast(dict[str, Any], attrs)
    live.clear()
    live.update(props)
    return True
