"""The in-memory half of the embedded graph: a networkx MultiDiGraph plus per-kind indexes.

Nodes are `(kind, key)` tuples carrying their properties as attributes; edges are keyed
by `(edge kind, edge key)` so two grants on the same resource stay two edges.
Nothing here locks: the store holds its lock around every call.
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

    def load(
        self, nodes: Iterable[tuple[NodeId, PropDict]], edges: Iterable[tuple[EdgeId, PropDict]]
    ) -> None:
        """Bulk-add nodes and edges not in the graph yet (far faster than one by one)."""
        node_rows = list(nodes)
        self._graph.add_nodes_from(node_rows)
        for (kind, key), _ in node_rows:
            self._node_keys[kind].add(key)
        edge_rows = list(edges)
        self._graph.add_edges_from(
            (src, dst, (kind, key), props) for (kind, src, dst, key), props in edge_rows
        )
        for eid, _ in edge_rows:
            self._edge_ids[eid[0]].add(eid)

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

    def keys_of(self, kind: str) -> list[str]:
        return sorted(self._node_keys.get(kind, ()))

    def edges_of(self, kind: str) -> Iterator[tuple[EdgeId, Mapping[str, Any]]]:
        for eid in self._edge_ids.get(kind, ()):
            _, src, dst, key = eid
            yield eid, self._graph.succ[src][dst][(kind, key)]

    def out_edges(self, nid: NodeId) -> Iterator[tuple[EdgeId, Mapping[str, Any]]]:
        if nid not in self._graph:
            return
        for dst, keyed in self._graph.succ[nid].items():
            for (kind, key), props in keyed.items():
                yield (kind, nid, dst, key), props

    def in_edges(self, nid: NodeId) -> Iterator[tuple[EdgeId, Mapping[str, Any]]]:
        if nid not in self._graph:
            return
        for src, keyed in self._graph.pred[nid].items():
            for (kind, key), props in keyed.items():
                yield (kind, src, nid, key), props

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
                self._graph.remove_node(nid)
                self._node_keys[nid[0]].discard(nid[1])
        new_nodes: list[tuple[NodeId, PropDict]] = []
        for nid, props in plan.nodes.items():
            if props is not None and not _replace(self.node(nid), props):
                new_nodes.append((nid, props))
        new_edges: list[tuple[EdgeId, PropDict]] = []
        for eid, props in plan.edges.items():
            if props is not None and not _replace(self.edge(eid), props):
                new_edges.append((eid, props))
        self.load(new_nodes, new_edges)  # bulk adds: a sync may create thousands at once

    def clear(self) -> None:
        self._graph.clear()
        self._node_keys.clear()
        self._edge_ids.clear()

    def _remove_edge(self, eid: EdgeId) -> None:
        kind, src, dst, key = eid
        if self._graph.has_edge(src, dst, (kind, key)):
            self._graph.remove_edge(src, dst, key=(kind, key))
        self._edge_ids[kind].discard(eid)


def _replace(attrs: Mapping[str, Any] | None, props: PropDict) -> bool:
    """Swap an existing node's or edge's attributes in place; False when it is new."""
    if attrs is None:
        return False
    live = cast(dict[str, Any], attrs)
    live.clear()
    live.update(props)
    return True
