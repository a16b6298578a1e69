"""The access graph: the GraphStore protocol, its declared model and its backends."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from graph.errors import ConflictError, GraphError, SchemaViolation, StoreLocked, UnknownNode
from graph.migrations import SchemaTooNew, migrate
from graph.query import QueryFailed, QueryRefused, QueryResult
from graph.store import GraphStore
from graph.values import (
    DeleteEdge,
    DeleteNode,
    Edge,
    IdentityContext,
    Node,
    NodeRef,
    ResourceContext,
    SetProps,
    UpsertEdge,
    UpsertNode,
    WriteOp,
)

DEFAULT_GRAPH_URL = "embedded:./var/keyturn.db"
_NEO4J_SCHEMES = ("neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc")


def open_store(url: str, *, run_migrations: bool = True) -> GraphStore:
    """Open the backend a graph URL names.

    `embedded:PATH` is the in-memory + SQLite graph in the file PATH;
    `neo4j://[user:password@]host:port` (or bolt://, +s, +ssc) is a Neo4j server.
    Forward migrations (graph.migrations) run before it is returned, unless
    `run_migrations` is false (repair tools only: the graph may be older or newer).
    """
    store = _open(url)
    if not run_migrations:
        return store
    try:
        migrate(store)
    except BaseException:
        store.close()
        raise
    return store


def _open(url: str) -> GraphStore:
    if url.startswith("embedded:"):
        from graph.embedded import EmbeddedStore

        return EmbeddedStore(url.removeprefix("embedded:"))
    parts = urlsplit(url)
    if parts.scheme in _NEO4J_SCHEMES:
        from graph.neo4j import Neo4jStore

        auth = None
        if parts.username is not None:
            auth = (unquote(parts.username), unquote(parts.password or ""))
        address = f"{parts.scheme}://{parts.hostname}:{parts.port or 7687}"
        return Neo4jStore(address, auth=auth)
    raise GraphError(
        f"graph URL `{url}` is neither `embedded:PATH` nor `neo4j://host:port`: fix --graph"
    )


__all__ = [
    "DEFAULT_GRAPH_URL",
    "ConflictError",
    "DeleteEdge",
    "DeleteNode",
    "Edge",
    "GraphError",
    "GraphStore",
    "IdentityContext",
    "Node",
    "NodeRef",
    "QueryFailed",
    "QueryRefused",
    "QueryResult",
    "ResourceContext",
    "SchemaTooNew",
    "SchemaViolation",
    "SetProps",
    "StoreLocked",
    "UnknownNode",
    "UpsertEdge",
    "UpsertNode",
    "WriteOp",
    "open_store",
]
