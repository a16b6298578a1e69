"""The Neo4j graph backend: production and scale, shared by any number of Keyturn processes."""

from __future__ import annotations

from graph.neo4j._store import Neo4jStore

__all__ = ["Neo4jStore"]
