"""The values the access graph speaks in: references, nodes, edges, the write operations
(applied atomically, `SetProps.expect` making a write a compare-and-set) and the contexts
a decision reads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

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
    # The integration it belongs to (the nearest Integration ancestor), read with it: the
    # request path needs its type, and on Neo4j a read of its own is a round trip.
    integration_node: Node | None = None

    @property
    def integration(self) -> str | None:
        return next((a.key for a in self.ancestors if a.kind == "Integration"), None)
