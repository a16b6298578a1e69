"""The bulk import's Cypher: one UNWIND statement per kind of node or edge and batch,
CREATE where the import knows nothing of its kind is in the graph yet, MERGE otherwise."""

from __future__ import annotations

from graph.model import NODE_KINDS
from graph.neo4j.cypher._names import label, prop, rel_type


def import_nodes(kind: str, *, create: bool) -> str:
    """Write the `$keys[i]` nodes with `$props[i]`; count those holding every required
    property (fewer than the rows: one lacks one, and the transaction must not commit)."""
    required = sorted(NODE_KINDS[kind].required)
    complete = " AND ".join(f"n.{prop(kind, name)} IS NOT NULL" for name in required) or "true"
    return (
        f"UNWIND range(0, size($keys) - 1) AS i\n"
        f"{'CREATE' if create else 'MERGE'} (n:{label(kind)} {{key: $keys[i]}})\n"
        f"SET n += $props[i]\n"
        f"WITH n WHERE {complete}\n"
        f"RETURN count(n) AS applied"
    )


def import_edges(kind: str, src_kind: str, dst_kind: str, *, create: bool, with_props: bool) -> str:
    """Write the edges `$src[i]` -> `$dst[i]` keyed `$keys[i]`; count those written (fewer
    than the rows: an endpoint is missing)."""
    return (
        f"UNWIND range(0, size($keys) - 1) AS i\n"
        f"MATCH (a:{label(src_kind)} {{key: $src[i]}})\n"
        f"MATCH (b:{label(dst_kind)} {{key: $dst[i]}})\n"
        f"{'CREATE' if create else 'MERGE'} (a)-[r:{rel_type(kind)} {{key: $keys[i]}}]->(b)\n"
        f"{'SET r += $props[i]' + chr(10) if with_props else ''}"
        f"RETURN count(r) AS applied"
    )


def count_nodes(kind: str) -> str:
    return f"MATCH (n:{label(kind)}) RETURN count(n) AS n"


def count_edges(kind: str) -> str:
    return f"MATCH ()-[r:{rel_type(kind)}]->() RETURN count(r) AS n"
