"""The embedded graph backend: in memory (networkx for auditors' Cypher), durable in SQLite,
one process."""

from __future__ import annotations

from graph.embedded._store import EmbeddedStore

__all__ = ["EmbeddedStore"]
