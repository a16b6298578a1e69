"""The errors a GraphStore raises on purpose."""

from __future__ import annotations

from graph.values import NodeRef, Props


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
