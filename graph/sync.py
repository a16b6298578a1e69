"""Sync from a source system (an IdP, an integration) in the style of cartography.

A run stamps every node and edge it writes with `sync_source` (the system) and
`sync_tag` (this run). Its cleanup then deletes, kind by kind and in bounded batches,
what that source stamped in an earlier run and this run did not see. Manual data (no
`sync_source`) and other sources' data are never touched, and a cleanup without a scope
is refused rather than taken to mean "everything".

    run = SyncRun(store, source="okta", run_tag="2026-11-26T21:00Z")
    run.upsert([UpsertNode("User", "alice", {"email": "alice@corp.example"}), ...])
    run.cleanup(kinds=["MEMBER_OF", "User"], scope={"sync_source": "okta"})
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from graph.errors import GraphError
from graph.model import EDGE_KINDS, SYNCED_KINDS
from graph.store import GraphStore
from graph.values import DeleteEdge, DeleteNode, UpsertEdge, UpsertNode

DEFAULT_BATCH = 1_000


class SyncRefused(GraphError):
    """A sync run or cleanup that could delete or stamp the wrong data; nothing changed."""


class SyncRun:
    def __init__(
        self, store: GraphStore, source: str, run_tag: str, *, batch_size: int = DEFAULT_BATCH
    ) -> None:
        if not source or not run_tag:
            raise SyncRefused(
                f"a sync run needs a source and a run tag, got `{source}` and `{run_tag}`: "
                f"name both"
            )
        if batch_size <= 0:
            raise SyncRefused(f"batch size `{batch_size}` is not positive: use at least 1")
        self._store = store
        self.source = source
        self.run_tag = run_tag
        self._batch = batch_size

    def upsert(
        self,
        ops: Sequence[UpsertNode | UpsertEdge],
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Write `ops` stamped with this run, `batch_size` ops per atomic write; `progress`
        hears the running count of ops written."""
        stamped = [self._stamp(op) for op in ops]
        batches = (stamped[i : i + self._batch] for i in range(0, len(stamped), self._batch))
        return self._store.import_batches(batches, progress)

    def cleanup(self, kinds: Sequence[str], scope: Mapping[str, str] | None) -> int:
        """Delete each of `kinds` that this run's source stamped but this run did not;
        return how many. Edges go first when listed first; deleting a node also deletes
        its edges, as any deletion does."""
        self._check_scope(scope)
        for kind in kinds:
            _check_kind(kind)
        deleted = 0
        for kind in kinds:
            deleted += self._cleanup_kind(kind)
        return deleted

    def _cleanup_kind(self, kind: str) -> int:
        deleted = 0
        while True:  # each pass deletes what it found, so the loop ends
            if kind in EDGE_KINDS:
                edges = self._store.stale_edges(
                    kind, sync_source=self.source, sync_tag=self.run_tag, limit=self._batch
                )
                self._store.write([DeleteEdge(e.kind, e.src, e.dst, e.key) for e in edges])
                found = len(edges)
            else:
                refs = self._store.stale_nodes(
                    kind, sync_source=self.source, sync_tag=self.run_tag, limit=self._batch
                )
                self._store.write([DeleteNode(ref.kind, ref.key) for ref in refs])
                found = len(refs)
            deleted += found
            if found < self._batch:
                return deleted

    def _check_scope(self, scope: Mapping[str, str] | None) -> None:
        if not scope or not scope.get("sync_source"):
            raise SyncRefused(
                "a cleanup needs a scope such as "
                f"`{{'sync_source': '{self.source}'}}`: without one it could delete "
                f"data from every source"
            )
        unknown = sorted(set(scope) - {"sync_source"})
        if unknown:
            raise SyncRefused(
                f"cleanup scope names `{unknown[0]}`: only `sync_source` is supported"
            )
        if scope["sync_source"] != self.source:
            raise SyncRefused(
                f"cleanup scope `{scope['sync_source']}` is not this run's source "
                f"`{self.source}`: a run cleans up only what its own source wrote"
            )

    def _stamp(self, op: UpsertNode | UpsertEdge) -> UpsertNode | UpsertEdge:
        return stamped(op, self.source, self.run_tag)


def stamped(op: UpsertNode | UpsertEdge, source: str, run_tag: str) -> UpsertNode | UpsertEdge:
    """`op` stamped as a run of `source` writes it, for a writer (a SCIM push) that commits
    each change with its own audit event rather than through `SyncRun.upsert`."""
    _check_kind(op.kind)
    return replace(op, props={**op.props, "sync_source": source, "sync_tag": run_tag})


def _check_kind(kind: str) -> None:
    if kind not in SYNCED_KINDS:
        raise SyncRefused(
            f"`{kind}` is not synced from other systems: sync only "
            f"{', '.join(sorted(SYNCED_KINDS))}"
        )
