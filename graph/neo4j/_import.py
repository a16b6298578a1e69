"""The bulk path into Neo4j: upsert batches sent as columns, one transaction per batch.

The driver packs parameters in Python, and a list of maps costs it several times what the
same values cost as a few flat lists; so each run of like upserts travels as columns
(`$keys`, `$src`, `$dst`, `$props`) and is unwound by index. A batch that holds any other
op, or that a statement cannot apply in full, goes through the ordinary write instead,
which applies it with precise errors (or raises them), so a bad batch changes nothing.

Two things make a first load cheaper without changing what it means:
- a node kind with no node when the import meets it is written with CREATE rather than
  MERGE; the key constraint still refuses a duplicate, and a batch it refuses is sent
  again with MERGE;
- an edge type with no edge then is written with CREATE too, as long as this import has
  not written an edge with the same endpoints and key before (it remembers a hash of
  each; a collision only sends a batch with MERGE). A concurrent writer adding that very
  edge during a first load could leave two copies: the price of the fast path.
The client prepares batch n + 1 while the server works on batch n, one batch in flight.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from neo4j import ManagedTransaction, Session
from neo4j.exceptions import ClientError

from graph.neo4j.cypher import imports as cypher
from graph.validate import check_ops
from graph.values import UpsertEdge, UpsertNode, WriteOp

_DUPLICATE = "Neo.ClientError.Schema.ConstraintValidationFailed"


class Incomplete(Exception):
    """A statement applied fewer rows than it was given: let the ordinary write explain."""


@dataclass(frozen=True)
class Statement:
    """One UNWIND statement of a batch and the number of rows it must apply."""

    query: str
    params: dict[str, Any]
    rows: int


def import_all(
    session: Callable[[], Session],
    write: Callable[[Sequence[WriteOp]], None],
    batches: Iterable[Sequence[WriteOp]],
    progress: Callable[[int], None] | None,
) -> int:
    """Write each batch atomically, in order; a bad batch raises after those before it
    are written, and nothing after it is sent. Returns the number of ops written."""
    fresh = _Fresh(session)
    written = 0
    pending: tuple[list[WriteOp], Future[None]] | None = None

    def settle() -> None:
        nonlocal pending, written
        if pending is None:
            return
        ops, sent = pending
        pending = None
        _await(sent, ops, session, write, fresh)
        written += len(ops)
        if progress is not None:
            progress(written)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="keyturn-import") as pool:
        try:
            for batch in batches:
                ops = list(batch)
                try:
                    check_ops(ops)
                    plan = plan_batch(ops, fresh) if _only_upserts(ops) else None
                finally:
                    settle()  # the batch before this one lands (or raises) first
                if plan is None:
                    write(ops)
                    pending = (ops, _done())
                else:
                    pending = (ops, pool.submit(_send, session, plan))
            settle()
        finally:
            if pending is not None:  # raised while one was in flight: let it finish
                pending[1].exception()
    return written


def plan_batch(ops: Sequence[WriteOp], fresh: _Fresh | None = None) -> list[Statement]:
    """The statements writing a batch of upserts: nodes first, by kind, then edges, by kind
    and endpoint kinds, each group in the batch's order (which is what running the ops one
    by one means: node upserts never depend on edges). Without `fresh`, MERGE only."""
    nodes: dict[str, list[UpsertNode]] = {}
    edges: dict[tuple[str, str, str], list[UpsertEdge]] = {}
    for op in ops:
        if isinstance(op, UpsertNode):
            nodes.setdefault(op.kind, []).append(op)
        elif isinstance(op, UpsertEdge):
            edges.setdefault((op.kind, op.src.kind, op.dst.kind), []).append(op)
    statements = []
    for kind, node_ops in nodes.items():
        keys = [op.key for op in node_ops]
        create = fresh is not None and fresh.nodes(kind, keys)
        params = {"keys": keys, "props": [_plain(op.props) for op in node_ops]}
        statements.append(Statement(cypher.import_nodes(kind, create=create), params, len(keys)))
    for sort, edge_ops in edges.items():
        ids = [(op.src.key, op.dst.key, op.key) for op in edge_ops]
        create = fresh is not None and fresh.edges(sort[0], ids)
        params = {
            "src": [op.src.key for op in edge_ops],
            "dst": [op.dst.key for op in edge_ops],
            "keys": [op.key for op in edge_ops],
        }
        with_props = any(op.props for op in edge_ops)
        if with_props:
            params["props"] = [_plain(op.props) for op in edge_ops]
        query = cypher.import_edges(*sort, create=create, with_props=with_props)
        statements.append(Statement(query, params, len(ids)))
    return statements


class _Fresh:
    """What this import may CREATE: the node kinds and edge types that had nothing in the
    graph when it first met them, and a hash of every edge of those types it wrote."""

    def __init__(self, session: Callable[[], Session]) -> None:
        self._session = session
        self._nodes: dict[str, bool] = {}
        self._edges: dict[str, set[int] | None] = {}

    def nodes(self, kind: str, keys: list[str]) -> bool:
        if kind not in self._nodes:
            self._nodes[kind] = self._none(cypher.count_nodes(kind))
        return self._nodes[kind] and len(set(keys)) == len(keys)

    def lost(self, kind: str) -> None:
        """A CREATE of `kind` met an existing node: MERGE from now on."""
        self._nodes[kind] = False

    def edges(self, kind: str, ids: list[tuple[str, str, str]]) -> bool:
        if kind not in self._edges:
            empty = self._none(cypher.count_edges(kind))
            self._edges[kind] = set() if empty else None
        seen = self._edges[kind]
        if seen is None:
            return False
        hashes = {hash(i) for i in ids}
        create = len(hashes) == len(ids) and seen.isdisjoint(hashes)
        seen.update(hashes)  # whichever way they are written, later batches must know them
        return create

    def _none(self, query: str) -> bool:
        with self._session() as session:
            return session.execute_read(_count, query) == 0


def _count(tx: ManagedTransaction, query: str) -> int:
    return int(tx.run(query).single(strict=True)["n"])


def _send(session: Callable[[], Session], plan: list[Statement]) -> None:
    with session() as opened:
        opened.execute_write(_apply, plan)


def _apply(tx: ManagedTransaction, plan: list[Statement]) -> None:
    """Run every statement; raise Incomplete (aborting the transaction) if one falls short."""
    for statement in plan:
        applied = tx.run(statement.query, statement.params).single(strict=True)["applied"]
        if applied != statement.rows:
            raise Incomplete


def _await(
    sent: Future[None],
    ops: list[WriteOp],
    session: Callable[[], Session],
    write: Callable[[Sequence[WriteOp]], None],
    fresh: _Fresh,
) -> None:
    try:
        try:
            sent.result()
        except ClientError as exc:
            if exc.code != _DUPLICATE:
                raise
            # A CREATE met a node already there: send the batch again, merging.
            for op in ops:
                if isinstance(op, UpsertNode):
                    fresh.lost(op.kind)
            _send(session, plan_batch(ops))
    except Incomplete:
        write(ops)  # applies the batch, or raises its precise error


def _done() -> Future[None]:
    done: Future[None] = Future()
    done.set_result(None)
    return done


def _only_upserts(ops: Sequence[WriteOp]) -> bool:
    return all(isinstance(op, UpsertNode | UpsertEdge) for op in ops)


def _plain(props: Any) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in props.items()}
