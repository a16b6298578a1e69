"""The GraphStore protocol: what every backend offers, and the values it speaks in.

A write is a sequence of operations applied atomically: either all of them take effect
or none does. `SetProps.expect` turns a write into a compare-and-set; when any
expectation fails the whole write raises `ConflictError` and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from graph.analysis import Access, AccessPath, BlastRadius, Finding, Requester
    from graph.query import QueryResult

Props = Mapping[str, Any]


@dataclass(frozen=True)
class NodeRef:
    kind: str
    key: str


@dataclass(frozen=True)
class Node:
    kind: str
    key: str
    props: Props

    @property
    def ref(self) -> NodeRef:
        return NodeRef(self.kind, self.key)


@dataclass(frozen=True)
class Edge:
    kind: str
    src: NodeRef
    dst: NodeRef
    key: str = ""
    props: Props = field(default_factory=dict)


# --- write operations -------------------------------------------------------------


@dataclass(frozen=True)
class UpsertNode:
    """Create the node or merge `props` into it."""

    kind: str
    key: str
    props: Props = field(default_factory=dict)


@dataclass(frozen=True)
class SetProps:
    """Update an existing node; with `expect`, only if those properties hold now."""

    kind: str
    key: str
    props: Props
    expect: Props = field(default_factory=dict)


@dataclass(frozen=True)
class DeleteNode:
    """Remove a node and its edges; removing a missing node is not an error."""

    kind: str
    key: str


@dataclass(frozen=True)
class UpsertEdge:
    """Create the edge (identified by kind, endpoints and `key`) or merge `props` into it."""

    kind: str
    src: NodeRef
    dst: NodeRef
    key: str = ""
    props: Props = field(default_factory=dict)


@dataclass(frozen=True)
class DeleteEdge:
    """Remove an edge; removing a missing edge is not an error (revocation is idempotent)."""

    kind: str
    src: NodeRef
    dst: NodeRef
    key: str = ""


WriteOp = UpsertNode | SetProps | DeleteNode | UpsertEdge | DeleteEdge


# --- read results -------------------------------------------------------------------


@dataclass(frozen=True)
class IdentityContext:
    """An identity with every group it is in (through nested groups) and its manager."""

    node: Node
    groups: frozenset[str]
    manager: str | None


@dataclass(frozen=True)
class ResourceContext:
    """A resource with its ancestors (parent resources, then the integration), nearest first,
    and the keys of every Bundle covering it or an ancestor, directly or through bundles
    nested in bundles (Bundle -COVERS-> Bundle)."""

    node: Node
    ancestors: tuple[NodeRef, ...]
    bundles: frozenset[str] = frozenset()

    @property
    def integration(self) -> str | None:
        return next((a.key for a in self.ancestors if a.kind == "Integration"), None)


# --- errors ---------------------------------------------------------------------------


class GraphError(Exception):
    """Base of every error a GraphStore raises on purpose."""


class SchemaViolation(GraphError):
    """A write names an unknown kind, a property of the wrong type, or an edge the model forbids."""


class UnknownNode(GraphError):
    def __init__(self, ref: NodeRef) -> None:
        super().__init__(f"no {ref.kind} `{ref.key}` exists in the access graph")
        self.ref = ref


class ConflictError(GraphError):
    """A compare-and-set lost: the node no longer holds what the writer expected."""

    def __init__(self, ref: NodeRef, expected: Props, actual: Props) -> None:
        wanted = ", ".join(f"{k}={v!r}" for k, v in expected.items())
        found = ", ".join(f"{k}={actual.get(k)!r}" for k in expected)
        super().__init__(
            f"{ref.kind} `{ref.key}` changed concurrently: expected {wanted}, found {found}"
        )
        self.ref = ref
        self.expected = dict(expected)
        self.actual = {k: actual.get(k) for k in expected}


class StoreLocked(GraphError):
    """Another process holds the embedded graph's file."""


# --- the protocol ------------------------------------------------------------------------


@runtime_checkable
class GraphStore(Protocol):
    def write(self, ops: Sequence[WriteOp]) -> None:
        """Apply every op or none; raise ConflictError, UnknownNode or SchemaViolation."""

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
