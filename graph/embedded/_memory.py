"""The in-memory half of the embedded graph: plain dicts of nodes and edges plus indexes.

Nodes are `(kind, key)` tuples mapped to their properties; edges are
`(edge kind, source, target, edge key)` tuples mapped to theirs, so two grants on the
same resource stay two edges. Nothing here locks: the store holds its lock around every
call. (The auditors' raw queries run over a networkx copy, graph.embedded._query.)

Besides the two dicts, indexes keep the hot reads independent of how much history the
graph holds: each node's edges by direction and edge kind (a user with thousands of past
requests still finds its groups and manager at once), and the nodes of `INDEXED` kinds by
property value (the expiry pass reads only GRANTED requests). Plain dicts load a large
graph several times faster than networkx's and take less memory.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

NodeId = tuple[str, str]
EdgeId = tuple[str, NodeId, NodeId, str]  # edge kind, source, target, edge key
PropDict = dict[str, Any]

# node -> edge kind -> its edges of that kind, in insertion order.
_Adjacency = dict[NodeId, dict[str, dict[EdgeId, None]]]

INDEXED: frozenset[tuple[str, str]] = frozenset({("AccessRequest", "state")})
"""Node properties looked up by value often enough to deserve an index, as in Neo4j."""


@dataclass
class Plan:
    """The final state of everything a write touches; None means deleted."""

    nodes: dict[NodeId, PropDict | None] = field(default_factory=dict)
    edges: dict[EdgeId, PropDict | None] = field(default_factory=dict)


class MemoryGraph:
    def __init__(self) -> None:
        self._nodes: dict[NodeId, PropDict] = {}
        self._edges: dict[EdgeId, PropDict] = {}
        # Per-kind indexes so kind-scoped reads never scan the whole graph.
        self._node_keys: defaultdict[str, set[str]] = defaultdict(set)
        self._edge_ids: defaultdict[str, dict[EdgeId, None]] = defaultdict(dict)
        # node -> edge kind -> edges: out of it, into it.
        self._out: _Adjacency = {}
        self._in: _Adjacency = {}
        # (kind, property) in INDEXED -> value -> keys of the nodes holding it.
        self._by_value: defaultdict[tuple[str, str], defaultdict[Any, set[str]]] = defaultdict(
            lambda: defaultdict(set)
        )
        self.version = 0
        """Bumped by every change, so derived views know when they are stale."""

    def load(
        self, nodes: Iterable[tuple[NodeId, PropDict]], edges: Iterable[tuple[EdgeId, PropDict]]
    ) -> None:
        """Add nodes and edges not in the graph yet, taking ownership of their dicts."""
        self.version += 1
        node_keys, indexed = self._node_keys, {kind for kind, _ in INDEXED}
        for nid, props in nodes:
            self._nodes[nid] = props
            node_keys[nid[0]].add(nid[1])
            if nid[0] in indexed:
                self._index_values(*nid, props, add=True)
        all_edges, edge_ids, out, into = self._edges, self._edge_ids, self._out, self._in
        for eid, props in edges:
            kind, src, dst, _ = eid
            all_edges[eid] = props
            edge_ids[kind][eid] = None
            # setdefault with fresh dicts would build two throwaway dicts per edge
            by_kind = out.get(src)
            if by_kind is None:
                by_kind = out[src] = {}
            ids = by_kind.get(kind)
            if ids is None:
                ids = by_kind[kind] = {}
            ids[eid] = None
            by_kind = into.get(dst)
            if by_kind is None:
                by_kind = into[dst] = {}
            ids = by_kind.get(kind)
            if ids is None:
                ids = by_kind[kind] = {}
            ids[eid] = None

    # --- reads (return the live mappings: callers copy before handing them out) --------

    def node(self, nid: NodeId) -> Mapping[str, Any] | None:
        return self._nodes.get(nid)

    def edge(self, eid: EdgeId) -> Mapping[str, Any] | None:
        return self._edges.get(eid)

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
        edges = self._edges
        for eid in self._edge_ids.get(kind, ()):
            yield eid, edges[eid]

    def all_nodes(self) -> Iterator[tuple[NodeId, Mapping[str, Any]]]:
        yield from self._nodes.items()

    def all_edges(self) -> Iterator[tuple[EdgeId, Mapping[str, Any]]]:
        yield from self._edges.items()

    def out_edges(
        self, nid: NodeId, kind: str | None = None
    ) -> list[tuple[EdgeId, Mapping[str, Any]]]:
        """Edges leaving `nid` (only those of `kind` when given)."""
        return self._incident(self._out, nid, kind)

    def in_edges(
        self, nid: NodeId, kind: str | None = None
    ) -> list[tuple[EdgeId, Mapping[str, Any]]]:
        """Edges entering `nid` (only those of `kind` when given)."""
        return self._incident(self._in, nid, kind)

    def _incident(
        self, side: _Adjacency, nid: NodeId, kind: str | None
    ) -> list[tuple[EdgeId, Mapping[str, Any]]]:
        """A snapshot (lists, not generators: the hot reads call this thousands of times
        per analysis, and a caller may change the graph while it walks the result)."""
        by_kind = side.get(nid)
        if not by_kind:
            return []
        edges = self._edges
        if kind is not None:
            return [(eid, edges[eid]) for eid in by_kind.get(kind, ())]
        return [(eid, edges[eid]) for eids in by_kind.values() for eid in eids]

    def incident(self, nid: NodeId) -> set[EdgeId]:
        return {eid for eid, _ in self.out_edges(nid)} | {eid for eid, _ in self.in_edges(nid)}

    # --- changes (only ever called with a plan already committed to SQLite) -------------

    def apply(self, plan: Plan) -> None:
        # Deletions first: a write may delete a node and create it again.
        for eid, props in plan.edges.items():
            if props is None:
                self._remove_edge(eid)
        for nid, props in plan.nodes.items():
            if props is None and nid in self._nodes:
                # The plan deleted the node's edges above; drop what is left of them.
                for eid in self.incident(nid):
                    self._remove_edge(eid)
                self._index_values(*nid, self._nodes.pop(nid), add=False)
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
        self.load(new_nodes, new_edges)

    def clear(self) -> None:
        self.version += 1
        self._nodes.clear()
        self._edges.clear()
        self._node_keys.clear()
        self._edge_ids.clear()
        self._out.clear()
        self._in.clear()
        self._by_value.clear()

    def _remove_edge(self, eid: EdgeId) -> None:
        kind, src, dst, _ = eid
        self._edges.pop(eid, None)
        self._edge_ids[kind].pop(eid, None)
        for side, end in ((self._out, src), (self._in, dst)):
            by_kind = side.get(end)
            if by_kind is not None and kind in by_kind:
                by_kind[kind].pop(eid, None)

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


def _replace(attrs: Mapping[str, Any] | None, props: PropDict) -> bool:
    """Swap an existing node's or edge's attributes in place; False when it is new."""
    if attrs is None:
        return False
    live = cast(dict[str, Any], attrs)
    live.clear()
    live.update(props)
    return True
