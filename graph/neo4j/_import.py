"""The bulk path into Neo4j: upsert batches sent as columns, one transaction per batch.

The driver packs parameters in Python, and a list of maps costs it several times what the
same values cost as a few flat lists; so each run of like upserts travels as columns
(`$keys`, `$src`, `$dst`, `$props`) and is unwound by index. A batch that holds any other
op, or that a statement cannot apply in full, goes through the ordinary write instead,
which applies it with precise errors (or raises them), so a bad batch changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from neo4j import ManagedTransaction

from graph.model import EDGE_KINDS, NODE_KINDS
from graph.neo4j._write import batches
from graph.store import UpsertEdge, UpsertNode, WriteOp


class Incomplete(Exception):
    """A statement applied fewer rows than it was given: let the ordinary write explain."""


def import_batch(tx: ManagedTransaction, ops: Sequence[WriteOp]) -> None:
    """Apply a batch of upserts; raise Incomplete (aborting the transaction) if one is not."""
    for run in batches(ops):
        upserts = [op for _, op in run.ops]
        if isinstance(upserts[0], UpsertNode):
            applied = _upsert_nodes(tx, run.sort[1], upserts)
        else:
            applied = _upsert_edges(tx, run.sort[1:], upserts)
        if applied != len(upserts):
            raise Incomplete


def only_upserts(ops: Sequence[WriteOp]) -> bool:
    return all(isinstance(op, UpsertNode | UpsertEdge) for op in ops)


def _upsert_nodes(tx: ManagedTransaction, kind: str, ops: Sequence[WriteOp]) -> int:
    keys = [op.key for op in ops if isinstance(op, UpsertNode)]
    props = [_plain(op.props) for op in ops if isinstance(op, UpsertNode)]
    required = sorted(NODE_KINDS[kind].required)
    complete = " AND ".join(f"n.`{name}` IS NOT NULL" for name in required) or "true"
    query = (
        f"UNWIND range(0, size($keys) - 1) AS i\n"
        f"MERGE (n:`{_kind(kind)}` {{key: $keys[i]}})\n"
        f"SET n += $props[i]\n"
        f"WITH n WHERE {complete}\n"
        f"RETURN count(n) AS applied"
    )
    return int(tx.run(query, keys=keys, props=props).single(strict=True)["applied"])


def _upsert_edges(
    tx: ManagedTransaction, sort: tuple[str, str, str], ops: Sequence[WriteOp]
) -> int:
    kind, src_kind, dst_kind = sort
    edges = [op for op in ops if isinstance(op, UpsertEdge)]
    params: dict[str, Any] = {
        "src": [op.src.key for op in edges],
        "dst": [op.dst.key for op in edges],
        "keys": [op.key for op in edges],
    }
    set_props = ""
    if any(op.props for op in edges):
        params["props"] = [_plain(op.props) for op in edges]
        set_props = "SET r += $props[i]\n"
    query = (
        f"UNWIND range(0, size($keys) - 1) AS i\n"
        f"MATCH (a:`{_kind(src_kind)}` {{key: $src[i]}})\n"
        f"MATCH (b:`{_kind(dst_kind)}` {{key: $dst[i]}})\n"
        f"MERGE (a)-[r:`{_cypher_type(kind)}` {{key: $keys[i]}}]->(b)\n"
        f"{set_props}"
        f"RETURN count(r) AS applied"
    )
    return int(tx.run(query, params).single(strict=True)["applied"])


def _plain(props: Any) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in props.items()}


def _kind(kind: str) -> str:
    if kind not in NODE_KINDS:
        raise ValueError(f"`{kind}` is not a declared node kind")
    return kind


def _cypher_type(kind: str) -> str:
    if kind not in EDGE_KINDS:
        raise ValueError(f"`{kind}` is not a declared edge kind")
    return kind
