"""Auditors' raw queries on the embedded graph, run by grand-cypher in a child process.

grand-cypher reads node labels and relationship types from a `__labels__` attribute, so
queries run over a labelled copy of the stored MultiDiGraph that carries it (and each
item's `key`). The copy is a snapshot: built on the first query after a change, then
shared by every query until the next change, and never written, so a query needs no
lock while it runs and cannot change stored data.

Each query runs in a forked child (graph.embedded._sandbox) with a memory ceiling, killed
at its timeout: a runaway query costs the child, never the server.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import networkx as nx
from grandcypher import GrandCypher, _GrandCypherGrammar
from lark.exceptions import LarkError

from graph.embedded import _sandbox
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


def start(
    view: Any, text: str, row_cap: int, *, timeout_s: float, memory_mib: int
) -> _sandbox.Child:
    """Fork the child that answers `text` over `view`; call under the store's lock."""
    if memory_mib < 1:
        raise QueryRefused(f"memory ceiling `{memory_mib}` MiB is below 1: give a larger one")
    return _sandbox.start(
        lambda: _answer(view, text, row_cap), timeout_s=timeout_s, memory_mib=memory_mib
    )


def finish(child: _sandbox.Child, timeout_s: float) -> QueryResult:
    """The child's answer, waited for at most `timeout_s` (then it is killed)."""
    reply = _sandbox.wait(child, timeout_s)
    if reply[0] == "refused":
        raise QueryRefused(reply[1])
    if reply[0] == "failed":
        raise QueryFailed(reply[1])
    _, columns, rows, truncated = reply
    return QueryResult(columns, rows, truncated)


def _answer(view: Any, text: str, row_cap: int) -> tuple[Any, ...]:
    """Run in the child: the reply `finish` reads (a tuple of plain values)."""
    try:
        columns, rows = _execute(view, text, row_cap)
    except LarkError as error:
        reason = str(error).strip().splitlines()[0]
        return (
            "refused",
            f"the embedded graph cannot run this query ({reason}): it supports "
            f"MATCH ... WHERE ... RETURN ... ORDER BY ... SKIP ... LIMIT; "
            f"use a Neo4j graph for this query",
        )
    except MemoryError:
        raise
    except Exception as error:
        return ("failed", f"the query failed on the embedded graph: {error}")
    plain = tuple(tuple(_plain(value) for value in row) for row in rows[:row_cap])
    return ("rows", columns, plain, len(rows) > row_cap)


def _execute(view: Any, text: str, row_cap: int) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
    """Every row of the answer, or the first `row_cap + 1` when that is as exact.

    grand-cypher stops matching once it holds as many matches as its limit (the query's
    LIMIT, else the one it was built with), before aggregation, DISTINCT and the join of
    unconnected patterns: `MATCH (n) RETURN count(n)` under a limit of 11 says 11. So the
    limit is used only for a query whose rows are its matches one for one; any other runs
    in full and is cut here, afterwards. The child's time and memory limits bound either.
    """
    transformer = GrandCypher(view)._transformer
    transformer.transform(_GrandCypherGrammar.parse(text))
    executor = transformer._executors[0]
    skip, limit = executor._skip or 0, executor._limit  # the query's own SKIP and LIMIT
    if _rows_are_matches(executor):
        executor._limit = row_cap + 1 if limit is None else min(limit, row_cap + 1)
        return _rows(executor.returns())
    executor._skip, executor._limit = 0, None
    columns, rows = _rows(executor.returns())
    return columns, rows[skip : None if limit is None else skip + limit]


def _rows_are_matches(executor: Any) -> bool:
    """No aggregate, DISTINCT or ORDER BY, and one connected pattern (grand-cypher caps
    each unconnected part on its own, before the join and the WHERE across them)."""
    if executor._aggregate_functions or executor._distinct or executor._order_by:
        return False
    return bool(nx.number_weakly_connected_components(executor._motif) <= 1)


def _rows(columns_data: Mapping[Any, list[Any]]) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
    columns = tuple(str(name) for name in columns_data)
    return columns, list(zip(*columns_data.values(), strict=True))


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
