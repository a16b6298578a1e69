"""Auditors' raw queries on the embedded graph, run by grand-cypher.

grand-cypher reads node labels and relationship types from a `__labels__` attribute, so
queries run over a labelled copy of the stored MultiDiGraph that carries it (and each
item's `key`). The copy is a snapshot: built on the first query after a change, then
shared by every query until the next change, and never written, so a query needs no
lock while it runs and cannot change stored data.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import networkx as nx
from grandcypher import GrandCypher
from lark.exceptions import LarkError

from graph.embedded._memory import MemoryGraph, gc_paused
from graph.embedded._plan import copy_props
from graph.query import QueryFailed, QueryRefused, QueryResult, Token

_LABELS = "__labels__"

# Clauses grand-cypher's grammar lacks, by the word that starts them.
_UNSUPPORTED = {
    "OPTIONAL": "OPTIONAL MATCH",
    "WITH": "WITH",
    "UNWIND": "UNWIND",
    "UNION": "UNION",
    "CALL": "CALL",
    "CASE": "CASE",
    "SHOW": "SHOW",
}
_AGGREGATES = frozenset({"COUNT", "SUM", "AVG", "MAX", "MIN", "COLLECT"})


def build_view(memory: MemoryGraph) -> Any:
    """A copy of the graph as grand-cypher addresses it; call under the store's lock.

    A copy, not a view over the live graph: a query runs without the lock while writes
    go on, and must neither see them half done nor reach a stored dict. It has the
    stored graph's shape, so its dicts are filled directly, as MemoryGraph.load does.
    """
    stored = memory.graph
    view = nx.MultiDiGraph()
    nodes, succ, pred = view._node, view._succ, view._pred
    with gc_paused():
        for nid, props in stored._node.items():
            nodes[nid] = {**copy_props(props), "key": nid[1], _LABELS: {nid[0]}}
            succ[nid] = {}
            pred[nid] = {}
        for src, targets in stored._succ.items():
            out = succ[src]
            for dst, keyed in targets.items():
                out[dst] = pred[dst][src] = {
                    (kind, key): {**copy_props(props), "key": key, _LABELS: {kind}}
                    for (kind, key), props in keyed.items()
                }
    return view


def check_supported(tokens: Sequence[Token]) -> None:
    for j, token in enumerate(tokens):
        if token.kind != "word" or (j > 0 and tokens[j - 1].text in (".", ":")):
            continue
        clause = _UNSUPPORTED.get(token.text.upper())
        if clause is not None:
            raise _unsupported(clause)


def rewrite(query: str, tokens: Sequence[Token], params: Mapping[str, Any]) -> str:
    """The query as grand-cypher's grammar reads it: parameters inlined as literals,
    strings double-quoted, aggregate names upper-case, comments dropped."""
    parts: list[str] = []
    end = 0
    for j, token in enumerate(tokens):
        if token.start > end and parts:
            parts.append(" ")
        end = token.end
        if token.kind == "string":
            parts.append(json.dumps(token.text))
        elif token.kind == "param":
            if token.text not in params:
                raise QueryFailed(f"the query uses `${token.text}` but no such parameter is given")
            parts.append(_literal(token.text, params[token.text]))
        elif token.kind == "word" and token.text.upper() in _AGGREGATES and _calls(tokens, j):
            parts.append(token.text.upper())
        else:
            parts.append(query[token.start : token.end])
    return "".join(parts)


def run(view: Any, text: str, row_cap: int, timeout_s: float) -> QueryResult:
    """Run `text` over `view` in a worker thread; give up waiting after `timeout_s`.

    A query that overruns keeps its worker busy until it finishes (Python cannot stop a
    thread), but it only reads a snapshot, and the caller gets its error on time.
    """
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["result"] = GrandCypher(view, limit=row_cap + 1).run(text)
        except Exception as exc:  # handed to the caller's thread below
            outcome["error"] = exc

    worker = threading.Thread(target=work, name="keyturn-raw-query", daemon=True)
    worker.start()
    worker.join(timeout_s)
    if worker.is_alive():
        raise QueryFailed(f"the query ran longer than {timeout_s:g} s: narrow it or add a LIMIT")
    error = outcome.get("error")
    if isinstance(error, LarkError):
        reason = str(error).strip().splitlines()[0]
        raise QueryRefused(
            f"the embedded graph cannot run this query ({reason}): it supports "
            f"MATCH ... WHERE ... RETURN ... ORDER BY ... SKIP ... LIMIT; "
            f"use a Neo4j graph for this query"
        ) from error
    if error is not None:
        raise QueryFailed(f"the query failed on the embedded graph: {error}") from error
    columns_data: Mapping[Any, list[Any]] = outcome["result"]
    columns = tuple(str(name) for name in columns_data)
    rows = [
        tuple(_plain(value) for value in row) for row in zip(*columns_data.values(), strict=True)
    ]
    return QueryResult(columns, tuple(rows[:row_cap]), len(rows) > row_cap)


def _unsupported(clause: str) -> QueryRefused:
    return QueryRefused(
        f"the embedded graph cannot run `{clause}`: use a Neo4j graph for this query"
    )


def _calls(tokens: Sequence[Token], j: int) -> bool:
    return j + 1 < len(tokens) and tokens[j + 1].text == "("


def _literal(name: str, value: Any) -> str:
    if value is None or isinstance(value, bool | int | float | str):
        return json.dumps(value)  # JSON null/true/false read as Cypher literals too
    if isinstance(value, list | tuple) and all(
        item is None or isinstance(item, bool | int | float | str) for item in value
    ):
        return "[" + ", ".join(json.dumps(item) for item in value) + "]"
    raise QueryFailed(
        f"parameter `{name}` is a {type(value).__name__}: the embedded graph takes "
        f"strings, numbers, booleans, null and lists of them"
    )


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping) and _LABELS in value:
        labels = sorted(value[_LABELS])
        props = {k: v for k, v in value.items() if k not in (_LABELS, "key")}
        return {"kind": labels[0] if labels else "", "key": value.get("key", ""), "props": props}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(item) for item in value]
    return value
