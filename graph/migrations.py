"""Forward migrations of the access graph's data, run when a store opens.

The graph records the model version it follows (`GraphStore.schema_version`). Opening it
runs, in order, every migration newer than that version, recording each as it completes;
a graph from a newer Keyturn is refused rather than misread. Each migration goes through
the GraphStore protocol, so it runs unchanged on both backends, and must be idempotent:
two processes opening one Neo4j at once may both run it, and a crash between a migration
and its record runs it again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from graph.errors import GraphError
from graph.store import GraphStore

Migration = Callable[[GraphStore], None]


class SchemaTooNew(GraphError):
    """The graph was written by a newer Keyturn, whose model this one does not know."""


def _baseline(store: GraphStore) -> None:
    """Version 1: the model as first versioned; graphs from before need no change."""


MIGRATIONS: list[tuple[int, Migration]] = [
    (1, _baseline),
]
"""(version, migration), versions strictly increasing; append, never edit or reorder."""


def latest(migrations: Sequence[tuple[int, Migration]] | None = None) -> int:
    steps = MIGRATIONS if migrations is None else migrations
    return steps[-1][0] if steps else 0


def migrate(store: GraphStore) -> int:
    """Bring `store` up to the latest version; return it. Raise SchemaTooNew for a graph
    newer than this code, before changing anything."""
    found = store.schema_version()
    newest = latest()
    if found > newest:
        raise SchemaTooNew(
            f"the access graph follows model version `{found}`, but this Keyturn knows "
            f"versions up to {newest}: upgrade Keyturn before opening this graph"
        )
    for version, step in MIGRATIONS:
        if version > found:
            step(store)
            store.set_schema_version(version)
    return max(found, newest)
