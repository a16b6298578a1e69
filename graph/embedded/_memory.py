"""The in-memory half of the embedded graph: a networkx MultiDiGraph plus indexes.

Nodes are `(kind, key)` tuples whose attribute dict holds their properties; an edge
runs from its source to its target under the key `(edge kind, edge key)`, so two
grants on the same resource stay two edges. Outside, an edge is named by its id
`(edge kind, source, target, edge key)`. Nothing here locks: the store holds its lock
around every call. (The auditors' raw queries run over a labelled copy,
graph.embedded._query.)

Indexes keep the hot reads independent of how much history the graph holds: the keys
of each node kind and the ids of each edge kind, each node's edges by direction and
edge kind (a user with thousands of past requests still finds its groups and manager
at once, where networkx would walk all its neighbours), and the nodes of `INDEXED`
kinds by property value (the expiry pass reads only GRANTED requests). Properties are
held once, in the graph's attribute dicts: the per-node index points at those same
dicts, and a change rewrites them in place, so the two never disagree.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

import networkx as nx

from graph.errors import GraphError

NodeId = tuple[str, str]
EdgeId = tuple[str, NodeId, NodeId, str]  # edge kind, source, target, edge key
PropDict = dict[str, Any]

# node -> edge kind -> its edges of that kind, in insertion order, each mapped to the
# graph's own attribute dict of the edge (the same object, never a copy).
_Adjacency = dict[NodeId, dict[str, dict[EdgeId, PropDict]]]

INDEXED: frozenset[tuple[str, str]] = frozenset({("AccessRequest", "state")})
"""Node properties looked up by value often enough to deserve an index, as in Neo4j."""


@dataclass
class Plan:
    """The final state of everything a write touches; None means deleted."""

    nodes: dict[NodeId, PropDict | None] = field(default_factory=dict)
    edges: dict[EdgeId, PropDict | None] = field(default_factory=dict)


class MemoryGraph:
    def __init__(self) -> None:
        self._graph = nx.MultiDiGraph()
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
        # The version that last changed each node, for the nodes changed since start-up
        # (the others count as changed at 0); a deleted node's entry goes with it.
        self._changed_at: dict[NodeId, int] = {}

    @property
    def graph(self) -> Any:
        """The live MultiDiGraph, for readers that walk it whole; never change it."""
        return self._graph

    def load(
        self, nodes: Iterable[tuple[NodeId, PropDict]], edges: Iterable[tuple[EdgeId, PropDict]]
    ) -> None:
        """Add nodes and edges not in the graph yet, taking ownership of their dicts.

        This fills the MultiDiGraph's own dicts as its add_node and add_edge would (one
        attribute dict per node; `_succ[u][v]` and `_pred[v][u]` one shared dict of
        edges by key), without their per-call checks: add_edges_from makes a start-up
        load of a million items several seconds slower.
        """
        self.version += 1
        with gc_paused():
            self._add_nodes(nodes)
            self._add_edges(edges)
        nx._clear_cache(self._graph)  # as networkx's own mutators do

    def _add_nodes(self, nodes: Iterable[tuple[NodeId, PropDict]]) -> None:
        attrs, succ, pred = self._graph._node, self._graph._succ, self._graph._pred
        node_keys, indexed = self._node_keys, {kind for kind, _ in INDEXED}
        for nid, props in nodes:
            if nid not in attrs:
                succ[nid] = {}
                pred[nid] = {}
            attrs[nid] = props
            node_keys[nid[0]].add(nid[1])
            if nid[0] in indexed:
                self._index_values(*nid, props, add=True)

    def _add_edges(self, edges: Iterable[tuple[EdgeId, PropDict]]) -> None:
        succ, pred = self._graph._succ, self._graph._pred
        edge_ids, out, into = self._edge_ids, self._out, self._in
        for eid, props in edges:
            kind, src, dst, key = eid
            try:
                targets, sources = succ[src], pred[dst]
            except KeyError:
                raise _dangling(eid) from None
            # Both sides share one dict of edges by key (nearly every pair is new).
            keyed = sources[src] = targets.setdefault(dst, {})
            keyed[(kind, key)] = props
            edge_ids[kind][eid] = None
            # setdefault with fresh dicts would build two throwaway dicts per edge
            by_kind = out.get(src)
            if by_kind is None:
                by_kind = out[src] = {}
            ids = by_kind.get(kind)
            if ids is None:
                ids = by_kind[kind] = {}
            ids[eid] = props
            by_kind = into.get(dst)
            if by_kind is None:
                by_kind = into[dst] = {}
            ids = by_kind.get(kind)
            if ids is None:
                ids = by_kind[kind] = {}
            ids[eid] = props

    # --- reads (return the live mappings: callers copy before handing them out) --------

    def node(self, nid: NodeId) -> Mapping[str, Any] | None:
        attrs: Mapping[str, Any] | None = self._graph._node.get(nid)
        return attrs

    def edge(self, eid: EdgeId) -> Mapping[str, Any] | None:
        kind, src, dst, key = eid
        try:
            attrs: Mapping[str, Any] = self._graph._succ[src][dst][(kind, key)]
        except KeyError:
            return None
        return attrs

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
        succ = self._graph._succ
        for eid in self._edge_ids.get(kind, ()):
            yield eid, succ[eid[1]][eid[2]][(kind, eid[3])]

    def all_nodes(self) -> Iterator[tuple[NodeId, Mapping[str, Any]]]:
        yield from self._graph._node.items()

    def all_edges(self) -> Iterator[tuple[EdgeId, Mapping[str, Any]]]:
        for src, targets in self._graph._succ.items():
            for dst, keyed in targets.items():
                for (kind, key), props in keyed.items():
                    yield (kind, src, dst, key), props

    def out_edges(
        self, nid: NodeId, kind: str | None = None
    ) -> list[tuple[EdgeId, Mapping[str, Any]]]:
        """Edges leaving `nid` (only those of `kind` when given)."""
        return _incident(self._out, nid, kind)

    def in_edges(
        self, nid: NodeId, kind: str | None = None
    ) -> list[tuple[EdgeId, Mapping[str, Any]]]:
        """Edges entering `nid` (only those of `kind` when given)."""
        return _incident(self._in, nid, kind)

    def incident(self, nid: NodeId) -> set[EdgeId]:
        ids: set[EdgeId] = set()
        for side in (self._out, self._in):
            for eids in side.get(nid, {}).values():
                ids.update(eids)
        return ids

    # --- changes (only ever called with a plan already committed to SQLite) -------------

    def apply(self, plan: Plan) -> None:
        # Deletions first: a write may delete a node and create it again.
        for eid, props in plan.edges.items():
            if props is None:
                self._remove_edge(eid)
        for nid, props in plan.nodes.items():
            current = self.node(nid)
            if props is None and current is not None:
                # The plan deleted the node's edges above; drop what is left of them.
                for eid in self.incident(nid):
                    self._remove_edge(eid)
                self._index_values(*nid, current, add=False)
                self._node_keys[nid[0]].discard(nid[1])
                self._out.pop(nid, None)
                self._in.pop(nid, None)
                self._graph.remove_node(nid)
        new_nodes: list[tuple[NodeId, PropDict]] = []
        # Only what really changed is stamped: a guard (a compare-and-set that sets
        # nothing, as every request sets on its requester) leaves its node's caches be.
        changed: list[NodeId] = []
        for nid, props in plan.nodes.items():
            if props is None:
                continue
            current = self.node(nid)
            if current != props:
                changed.append(nid)
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
        # Stamped once the plan shows and before its writer returns: a cache checked
        # meanwhile may answer as before the change (they are concurrent), never after it.
        version = self.version
        for nid in changed:
            self._changed_at[nid] = version
        for nid, props in plan.nodes.items():
            if props is None:
                self._changed_at.pop(nid, None)

    def unchanged_since(self, nids: Iterable[NodeId], version: int) -> bool:
        """Whether each of `nids` exists and no change after `version` touched it.

        Safe without the store's lock: each step is one dict lookup, and a change being
        applied meanwhile has not returned to its writer yet."""
        nodes, changed_at = self._graph._node, self._changed_at
        return all(nid in nodes and changed_at.get(nid, 0) <= version for nid in nids)

    def clear(self) -> None:
        self.version += 1
        self._changed_at.clear()
        self._graph.clear()
        self._node_keys.clear()
        self._edge_ids.clear()
        self._out.clear()
        self._in.clear()
        self._by_value.clear()

    def _remove_edge(self, eid: EdgeId) -> None:
        kind, src, dst, key = eid
        if self.edge(eid) is None:
            return
        self._graph.remove_edge(src, dst, (kind, key))
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


@contextmanager
def gc_paused() -> Iterator[None]:
    """Hold off the cyclic collector while building a graph: a dict or a tuple per item
    would set it off thousands of times, each pass rescanning the growing graph (that
    doubles a large start-up and triples building a query view)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _incident(
    side: _Adjacency, nid: NodeId, kind: str | None
) -> list[tuple[EdgeId, Mapping[str, Any]]]:
    """A snapshot (lists, not generators: the hot reads call this thousands of times
    per analysis, and a caller may change the graph while it walks the result)."""
    by_kind = side.get(nid)
    if not by_kind:
        return []
    if kind is not None:
        return list(by_kind.get(kind, {}).items())
    return [edge for edges in by_kind.values() for edge in edges.items()]


def _replace(attrs: Mapping[str, Any] | None, props: PropDict) -> bool:
    """Swap an existing node's or edge's attributes in place; False when it is new."""
    if attrs is None:
        return False
    live = cast(dict[str, Any], attrs)
    live.clear()
    live.update(props)
    return True


def _dangling(eid: EdgeId) -> GraphError:
    kind, src, dst, key = eid
    return GraphError(
        f"the graph file holds a `{kind}` edge `{key}` from `{src[0]}/{src[1]}` to "
        f"`{dst[0]}/{dst[1]}` whose end is not a node: the file is damaged; restore it "
        f"from a backup"
    )
