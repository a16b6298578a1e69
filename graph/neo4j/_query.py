"""Auditors' raw queries on Neo4j: checked first, then run in a read-access session with
a transaction timeout, reading at most one row more than the cap."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from neo4j import Query, Session
from neo4j.exceptions import ClientError, Neo4jError
from neo4j.graph import Node, Path, Relationship

from graph.query import QueryFailed, QueryRefused, QueryResult


def run(
    session: Session, query: str, params: Mapping[str, Any], row_cap: int, timeout_s: float
) -> QueryResult:
    try:
        result = session.run(Query(query, timeout=timeout_s), dict(params))
        columns = tuple(result.keys())
        rows: list[tuple[Any, ...]] = []
        truncated = False
        for record in result:
            if len(rows) == row_cap:
                truncated = True
                break
            rows.append(tuple(_plain(value) for value in record.values()))
    except ClientError as exc:
        raise _client_error(exc, timeout_s) from exc
    except Neo4jError as exc:
        raise QueryFailed(f"the query failed on Neo4j: {exc.message}") from exc
    return QueryResult(columns, tuple(rows), truncated)


def _client_error(exc: ClientError, timeout_s: float) -> Exception:
    code = exc.code or ""
    if "TransactionTimedOut" in code or "Terminated" in code:
        return QueryFailed(f"the query ran longer than {timeout_s:g} s: narrow it or add a LIMIT")
    if "AccessMode" in code or "Forbidden" in code:
        return QueryRefused(
            f"raw queries are read-only and Neo4j refused this one as a write ({exc.message}): "
            f"change the graph through Keyturn instead"
        )
    return QueryFailed(f"Neo4j could not run the query: {exc.message}")


def _plain(value: Any) -> Any:
    if isinstance(value, Node):
        props = {k: v for k, v in dict(value).items() if k != "key" and not k.startswith("_")}
        labels = sorted(value.labels)
        return {"kind": labels[0] if labels else "", "key": value.get("key", ""), "props": props}
    if isinstance(value, Relationship):
        props = {k: v for k, v in dict(value).items() if k != "key"}
        return {"kind": value.type, "key": value.get("key", ""), "props": props}
    if isinstance(value, Path):
        return {
            "nodes": [_plain(node) for node in value.nodes],
            "relationships": [_plain(rel) for rel in value.relationships],
        }
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    iso = getattr(value, "iso_format", None)
    return iso() if callable(iso) else str(value)
