"""Applies one write inside one Neo4j transaction, a batch of like ops per statement.

Consecutive ops of the same sort (op type, kind, endpoint kinds) form a batch run as one
UNWIND statement. A batch never holds two ops on the same node or edge, so its rows are
independent of one another and the batch means what running its ops in order means; each
later batch sees the earlier ones through the transaction. Any error raised here aborts
the transaction, so a write that fails changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from neo4j import ManagedTransaction

from graph.errors import ConflictError, GraphError, SchemaViolation, UnknownNode
from graph.model import NODE_KINDS
from graph.neo4j.cypher import store as _cypher
from graph.validate import check_new_node
from graph.values import (
    DeleteEdge,
    DeleteNode,
    NodeRef,
    Props,
    SetProps,
    UpsertEdge,
    UpsertNode,
    WriteOp,
)

HIDDEN = frozenset({"key", _cypher.LOCK})
"""Properties Neo4j holds for the store's own use, never shown as a node's or edge's."""


@dataclass
class Batch:
    sort: tuple[type, str, str, str]  # op type, kind, source kind, target kind
    ops: list[tuple[int, WriteOp]] = field(default_factory=list)  # (position in write, op)
    _seen: set[Hashable] = field(default_factory=set)


def batches(ops: Sequence[WriteOp]) -> list[Batch]:
    """Group `ops` into batches, keeping their order."""
    grouped: list[Batch] = []
    for i, op in enumerate(ops):
        sort, identity = _sort_and_identity(op)
        if not grouped or grouped[-1].sort != sort or identity in grouped[-1]._seen:
            grouped.append(Batch(sort))
        grouped[-1].ops.append((i, op))
        grouped[-1]._seen.add(identity)
    return grouped


def apply(tx: ManagedTransaction, ops: Sequence[WriteOp]) -> None:
    for batch in batches(ops):
        _APPLY[batch.sort[0]](tx, batch)


def visible(props: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in props.items() if name not in HIDDEN}


def _node_exists(tx: ManagedTransaction, ref: NodeRef) -> bool:
    return bool(list(tx.run(_cypher.get_node(ref.kind), {"key": ref.key})))


def _sort_and_identity(op: WriteOp) -> tuple[tuple[type, str, str, str], Hashable]:
    if isinstance(op, UpsertNode | SetProps | DeleteNode):
        return (type(op), op.kind, "", ""), op.key
    return (type(op), op.kind, op.src.kind, op.dst.kind), (op.src.key, op.dst.key, op.key)


def _params(props: Mapping[str, Any]) -> dict[str, Any]:
    # The driver sends lists, not tuples; None stays, as `SET x += map` removes it.
    return {k: list(v) if isinstance(v, tuple) else v for k, v in props.items()}


def _upsert_nodes(tx: ManagedTransaction, batch: Batch) -> None:
    rows = [_node_row(i, op) for i, op in batch.ops]
    lacking = [record["i"] for record in tx.run(_cypher.upsert_nodes(batch.sort[1]), rows=rows)]
    if lacking:
        op = dict(batch.ops)[min(lacking)]
        assert isinstance(op, UpsertNode)
        check_new_node(op.kind, op.key, op.props)
        raise SchemaViolation(f"new {op.kind} `{op.key}` lacks a required property")


def _set_props(tx: ManagedTransaction, batch: Batch) -> None:
    rows = [_node_row(i, op) for i, op in batch.ops]
    found = {
        record["i"]: visible(record["before"])
        for record in tx.run(_cypher.set_props(batch.sort[1]), rows=rows)
    }
    for i, op in batch.ops:
        assert isinstance(op, SetProps)
        ref = NodeRef(op.kind, op.key)
        if i not in found:
            raise UnknownNode(ref)
        actual = found[i]
        if any(actual.get(name) != value for name, value in op.expect.items()):
            raise ConflictError(ref, op.expect, actual)


def _delete_nodes(tx: ManagedTransaction, batch: Batch) -> None:
    rows = [{"i": i, "key": op.key} for i, op in batch.ops if isinstance(op, DeleteNode)]
    tx.run(_cypher.delete_nodes(batch.sort[1]), rows=rows).consume()


def _upsert_edges(tx: ManagedTransaction, batch: Batch) -> None:
    _, kind, src_kind, dst_kind = batch.sort
    rows = [_edge_row(i, op) for i, op in batch.ops]
    query = _cypher.upsert_edges(kind, src_kind, dst_kind)
    applied = {record["i"] for record in tx.run(query, rows=rows)}
    for i, op in batch.ops:
        assert isinstance(op, UpsertEdge)
        if i not in applied:  # an endpoint is missing: say which
            for ref in (op.src, op.dst):
                if not _node_exists(tx, ref):
                    raise UnknownNode(ref)
            raise GraphError(
                f"the {kind} edge from {op.src.kind} `{op.src.key}` "
                f"to {op.dst.kind} `{op.dst.key}` was not written: retry the write"
            )


def _delete_edges(tx: ManagedTransaction, batch: Batch) -> None:
    _, kind, src_kind, dst_kind = batch.sort
    rows = [_edge_row(i, op) for i, op in batch.ops]
    tx.run(_cypher.delete_edges(kind, src_kind, dst_kind), rows=rows).consume()


def _node_row(i: int, op: WriteOp) -> dict[str, Any]:
    assert isinstance(op, UpsertNode | SetProps)
    return {"i": i, "key": op.key, "props": _params(op.props)}


def _edge_row(i: int, op: WriteOp) -> dict[str, Any]:
    assert isinstance(op, UpsertEdge | DeleteEdge)
    row: dict[str, Any] = {"i": i, "src": op.src.key, "dst": op.dst.key, "key": op.key}
    if isinstance(op, UpsertEdge):
        row["props"] = _params(op.props)
    return row


_APPLY: dict[type, Callable[[ManagedTransaction, Batch], None]] = {
    UpsertNode: _upsert_nodes,
    SetProps: _set_props,
    DeleteNode: _delete_nodes,
    UpsertEdge: _upsert_edges,
    DeleteEdge: _delete_edges,
}


# --- the whole write as one statement -------------------------------------------------------


class Fallback(Exception):
    """The one-statement write found something to explain (a conflict, a missing node, a
    node lacking a required property): it rolled back, and `apply` explains it."""


def one_statement(
    ops: Sequence[WriteOp], *, then_lock: NodeRef | None = None
) -> tuple[str, dict[str, Any], Callable[[Any], Props]]:
    """The write as one statement: each batch a CALL subquery, in order (each sees the
    ones before it), whose rows are collected as `r{j}`; one round trip instead of one
    per batch. Returns the statement, its parameters, and the check to run on its result
    inside the transaction, which raises Fallback (rolling it back) on any shortfall.

    With `then_lock`, the statement then locks that node (`in_sequence`), and the check
    returns the node's properties as locked; else it returns no properties."""
    groups = batches(ops)
    subqueries: list[tuple[str, str | None]] = []
    params: dict[str, Any] = {}
    for j, batch in enumerate(groups):
        subqueries.append(_subquery(batch, f"rows{j}"))
        params[f"rows{j}"] = _rows(batch)
    if then_lock is not None:
        params["locked_key"] = then_lock.key

    def check(result: Any) -> Props:
        record = result.single(strict=True)
        for j, batch in enumerate(groups):
            if not _complete(batch, record.get(f"r{j}")):
                raise Fallback
        return visible(record["locked"]) if then_lock is not None else {}

    lock_kind = then_lock.kind if then_lock is not None else None
    return _cypher.in_sequence(subqueries, then_lock=lock_kind), params, check


def _rows(batch: Batch) -> list[dict[str, Any]]:
    op_type = batch.sort[0]
    if op_type is DeleteNode:
        return [{"i": i, "key": op.key} for i, op in batch.ops]
    if op_type is UpsertEdge or op_type is DeleteEdge:
        return [_edge_row(i, op) for i, op in batch.ops]
    return [_node_row(i, op) for i, op in batch.ops]


def _subquery(batch: Batch, rows: str) -> tuple[str, str | None]:
    op_type, kind, src_kind, dst_kind = batch.sort
    if op_type is UpsertNode:
        # only a kind with required properties returns the rows lacking one
        return _cypher.upsert_nodes(kind, rows), ("i" if NODE_KINDS[kind].required else None)
    if op_type is SetProps:
        return _cypher.set_props(kind, rows), "[i, before]"
    if op_type is DeleteNode:
        return _cypher.delete_nodes(kind, rows), None
    if op_type is UpsertEdge:
        return _cypher.upsert_edges(kind, src_kind, dst_kind, rows), "i"
    return _cypher.delete_edges(kind, src_kind, dst_kind, rows), None


def _complete(batch: Batch, found: list[Any] | None) -> bool:
    """Whether batch's collected rows show it applied in full, as `apply` would have."""
    op_type = batch.sort[0]
    if op_type is UpsertNode:
        return not found  # the rows lacking a required property
    if op_type is UpsertEdge:
        return len(set(found or ())) == len(batch.ops)
    if op_type is SetProps:
        before = {i: visible(props) for i, props in found or ()}
        for i, op in batch.ops:
            assert isinstance(op, SetProps)
            if i not in before:
                return False
            if any(before[i].get(name) != value for name, value in op.expect.items()):
                return False
    return True
