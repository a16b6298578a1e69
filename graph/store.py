"""The GraphStore protocol: what every backend offers, and the values it speaks in.

A write is a sequence of operations applied atomically: either all of them take effect
or none does. `SetProps.expect` turns a write into a compare-and-set; when any
expectation fails the whole write raises `ConflictError` and changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

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
    """A resource with its ancestors (parent resources, then the integration), nearest first."""

    node: Node
    ancestors: tuple[NodeRef, ...]

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

    def identity_context(self, ref: NodeRef) -> IdentityContext:
        """Raise UnknownNode when the identity does not exist."""

    def resource_context(self, ref: NodeRef) -> ResourceContext:
        """Raise UnknownNode when the resource does not exist."""

    def clear(self) -> None:
        """Delete everything (tests and demo resets only)."""

    def close(self) -> None: ...
