"""Plans a write against the in-memory graph without changing it.

Each op sees the effect of the ops before it in the same write (a node created earlier
can be an edge's endpoint; a compare-and-set sees an earlier SetProps), so the plan
keeps its own overlay of final states and reads through it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from graph.embedded._memory import EdgeId, MemoryGraph, NodeId, Plan, PropDict
from graph.errors import ConflictError, UnknownNode
from graph.validate import check_new_node
from graph.values import DeleteEdge, DeleteNode, NodeRef, SetProps, UpsertEdge, UpsertNode, WriteOp


def plan_write(memory: MemoryGraph, ops: Sequence[WriteOp]) -> Plan:
    """Raise UnknownNode, ConflictError or SchemaViolation, or return what to change."""
    planner = _Planner(memory)
    for op in ops:
        if isinstance(op, UpsertNode):
            planner.upsert_node(op)
        elif isinstance(op, SetProps):
            planner.set_props(op)
        elif isinstance(op, DeleteNode):
            planner.delete_node((op.kind, op.key))
        elif isinstance(op, UpsertEdge):
            planner.upsert_edge(op)
        else:
            planner.plan.edges[_edge_id(op)] = None
    return planner.plan


def copy_props(props: Mapping[str, Any]) -> PropDict:
    """A copy no caller can use to reach into the store (lists are the only mutable values)."""
    return {k: list(v) if isinstance(v, list | tuple) else v for k, v in props.items()}


class _Planner:
    def __init__(self, memory: MemoryGraph) -> None:
        self._memory = memory
        self.plan = Plan()

    def node(self, nid: NodeId) -> Mapping[str, Any] | None:
        if nid in self.plan.nodes:
            return self.plan.nodes[nid]
        return self._memory.node(nid)

    def edge(self, eid: EdgeId) -> Mapping[str, Any] | None:
        if eid in self.plan.edges:
            return self.plan.edges[eid]
        return self._memory.edge(eid)

    def upsert_node(self, op: UpsertNode) -> None:
        nid = (op.kind, op.key)
        current = self.node(nid)
        if current is None:
            check_new_node(op.kind, op.key, op.props)
        self.plan.nodes[nid] = _merge(current, op.props)

    def set_props(self, op: SetProps) -> None:
        nid = (op.kind, op.key)
        current = self.node(nid)
        if current is None:
            raise UnknownNode(NodeRef(op.kind, op.key))
        if any(current.get(name) != value for name, value in op.expect.items()):
            raise ConflictError(NodeRef(op.kind, op.key), op.expect, current)
        self.plan.nodes[nid] = _merge(current, op.props)

    def delete_node(self, nid: NodeId) -> None:
        if self.node(nid) is None:
            return  # deleting what is not there is not an error
        doomed = self._memory.incident(nid)
        doomed.update(eid for eid in self.plan.edges if nid in (eid[1], eid[2]))
        for eid in doomed:
            self.plan.edges[eid] = None
        self.plan.nodes[nid] = None

    def upsert_edge(self, op: UpsertEdge) -> None:
        for ref in (op.src, op.dst):
            if self.node((ref.kind, ref.key)) is None:
                raise UnknownNode(ref)
        eid = _edge_id(op)
        self.plan.edges[eid] = _merge(self.edge(eid), op.props)


def _merge(current: Mapping[str, Any] | None, changes: Mapping[str, Any]) -> PropDict:
    """`current` with `changes` applied; a property given as None is removed."""
    merged = dict(current) if current is not None else {}
    for name, value in copy_props(changes).items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    return merged


def _edge_id(op: UpsertEdge | DeleteEdge) -> EdgeId:
    return (op.kind, (op.src.kind, op.src.key), (op.dst.kind, op.dst.key), op.key)
