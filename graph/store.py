"""The GraphStore protocol: what every backend offers (the values it speaks in are in
graph.values, its errors in graph.errors).

A write is a sequence of operations applied atomically: either all of them take effect
or none does. `SetProps.expect` turns a write into a compare-and-set; when any
expectation fails the whole write raises `ConflictError` and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from graph.values import (
    Edge,
    IdentityContext,
    Node,
    NodeRef,
    Props,
    ResourceContext,
    WriteOp,
)

if TYPE_CHECKING:
    from graph.analysis import Access, AccessPath, BlastRadius, Finding, Requester
    from graph.query import QueryResult


@runtime_checkable
class GraphStore(Protocol):
    def write(self, ops: Sequence[WriteOp]) -> None:
        """Apply every op or none; raise ConflictError, UnknownNode or SchemaViolation."""

    def write_from(
        self,
        ops: Sequence[WriteOp],
        locked: NodeRef,
        build: Callable[[Props], Sequence[WriteOp]],
    ) -> None:
        """Apply `ops`, then what `build` makes of node `locked`'s properties as this write
        finds them (the node is created without properties when absent), all or none.

        The node is locked before it is read and stays locked until the write commits, so
        writes through one node (the activity log's head) run one after another: none
        reads a value another is about to change, and none has to be retried. `build` runs
        inside the write: it must be quick and must not use the store.
        """

    def import_batches(
        self,
        batches: Iterable[Sequence[WriteOp]],
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Write many batches, each atomic as `write`; `progress` hears the running count
        of ops written; returns it. The fast path for imports and large demos."""

    def get_node(self, kind: str, key: str) -> Node | None: ...

    def find_nodes(
        self,
        kind: str,
        *,
        equals: Props | None = None,
        at_most: Props | None = None,
        limit: int | None = None,
    ) -> list[Node]:
        """Nodes of `kind` whose properties equal `equals` and are <= `at_most`, by key."""

    def find_node_and_named(
        self, kind: str, *, equals: Props, named_by: str, named_kind: str
    ) -> tuple[Node, Node | None] | None:
        """In one read: the first node `find_nodes(kind, equals=equals, limit=1)` gives, and
        the node of `named_kind` whose key is that node's property `named_by` (None when
        there is none); None when no node matches. E.g. an API token and its owner."""

    def edges(
        self,
        kind: str,
        *,
        src: NodeRef | None = None,
        dst: NodeRef | None = None,
    ) -> list[Edge]:
        """Edges of `kind`, optionally only those from `src` and/or to `dst`."""

    def stale_nodes(
        self, kind: str, *, sync_source: str, sync_tag: str, limit: int
    ) -> list[NodeRef]:
        """Up to `limit` nodes of `kind` stamped by `sync_source` with a tag other than
        `sync_tag` (see graph.sync), in key order."""

    def stale_edges(self, kind: str, *, sync_source: str, sync_tag: str, limit: int) -> list[Edge]:
        """Up to `limit` edges of `kind` stamped by `sync_source` with another tag."""

    def identity_context(self, ref: NodeRef) -> IdentityContext:
        """Raise UnknownNode when the identity does not exist."""

    def resource_context(self, ref: NodeRef) -> ResourceContext:
        """Raise UnknownNode when the resource does not exist."""

    def resources_below(
        self, ref: NodeRef, *, keys: Collection[str], tags: Collection[str], limit: int
    ) -> list[Node]:
        """The Resources below `ref` over PART_OF, at any depth (cycles end the walk), whose
        key is one of `keys` or which carry one of `tags`: at most `limit`, by key. What a
        grant on `ref` would reach that someone wants kept out of reach; raise UnknownNode
        when `ref` does not exist."""

    # --- analyses (graph.analysis holds their results; each raises UnknownNode) ----------

    def effective_access(self, identity: NodeRef, now: float) -> list[Access]:
        """Every resource `identity` reaches at `now`, once per grant, with how it does."""

    def who_can_access(self, resource: NodeRef, now: float) -> list[Access]:
        """Every identity reaching `resource` at `now`, once per grant, with the path."""

    def who_could_request(self, resource: NodeRef) -> list[Requester]:
        """Identities an enabled access flow covering `resource` (or an ancestor) allows."""

    def access_paths(
        self, identity: NodeRef, resource: NodeRef, max_depth: int, *, now: float | None = None
    ) -> list[AccessPath]:
        """Every distinct path of at most `max_depth` edges; with `now`, unexpired grants only."""

    def blast_radius(self, identity: NodeRef, now: float) -> BlastRadius:
        """What `identity` reaches at `now`, counted per integration and per tag."""

    def run_saved_query(self, name: str, params: Props) -> list[Finding]:
        """Run one of graph.analysis.SAVED_QUERIES; raise GraphError for a bad name or params."""

    def run_read_query(
        self,
        query: str,
        params: Mapping[str, Any] | None = None,
        *,
        row_cap: int = 1000,
        timeout_s: float = 10.0,
    ) -> QueryResult:
        """An auditor's read-only Cypher, with `$name` parameters; at most `row_cap` rows.

        Raise graph.query.QueryRefused, before touching the graph, for a writing clause, a
        query over the length limit, or one the backend cannot run (the embedded graph runs
        what grand-cypher supports); QueryFailed for a failure while it runs (a timeout)."""

    def schema_version(self) -> int:
        """The model version the graph was last migrated to (graph.migrations); 0: never."""

    def set_schema_version(self, version: int) -> None:
        """Record that the graph now follows model `version`; only graph.migrations calls it."""

    def clear(self) -> None:
        """Delete every node and edge, keeping the schema version (tests and demo resets)."""

    def close(self) -> None: ...
