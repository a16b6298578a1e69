"""Checks a write against the declared model before any backend touches its data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from graph.errors import SchemaViolation
from graph.model import EDGE_KINDS, NODE_KINDS, PropType
from graph.values import DeleteEdge, DeleteNode, NodeRef, SetProps, UpsertEdge, UpsertNode, WriteOp


def check_ops(ops: Sequence[WriteOp]) -> None:
    """Raise SchemaViolation for the first op the model does not allow."""
    for op in ops:
        if isinstance(op, _EDGE_OPS):
            if not _plain_edge(op):  # the common case checked at once, else precisely
                check_edge(op.kind, op.src, op.dst)
            if isinstance(op, UpsertEdge):
                _check_props(op.kind, EDGE_KINDS[op.kind].properties, op.props)
        elif isinstance(op, _NODE_OPS):
            _check_key(op.kind, op.key)
            if isinstance(op, UpsertNode | SetProps):
                _check_props(op.kind, NODE_KINDS[op.kind].properties, op.props)
                _check_keeps_required(op.kind, op.key, op.props)
            if isinstance(op, SetProps):
                _check_props(op.kind, NODE_KINDS[op.kind].properties, op.expect)
        else:  # pragma: no cover - the type checker rules this out
            raise SchemaViolation(f"unknown write operation `{type(op).__name__}`")


_NODE_OPS = (UpsertNode, SetProps, DeleteNode)
_EDGE_OPS = (UpsertEdge, DeleteEdge)
_ALLOWED_EDGES = frozenset(
    (edge.type, src, dst)
    for edge in EDGE_KINDS.values()
    for src in edge.sources
    for dst in edge.targets
)


def _plain_edge(op: UpsertEdge | DeleteEdge) -> bool:
    """The model allows the edge and both endpoint keys are non-empty strings."""
    src, dst = op.src, op.dst
    return (
        (op.kind, src.kind, dst.kind) in _ALLOWED_EDGES
        and type(src.key) is str
        and type(dst.key) is str
        and bool(src.key)
        and bool(dst.key)
    )


def check_new_node(kind: str, key: str, props: Mapping[str, Any]) -> None:
    """A node being created must carry every required property."""
    missing = sorted(NODE_KINDS[kind].required - {k for k, v in props.items() if v is not None})
    if missing:
        raise SchemaViolation(f"new {kind} `{key}` lacks required property `{missing[0]}`")


def _check_keeps_required(kind: str, key: str, props: Mapping[str, Any]) -> None:
    """None removes a property; a required one cannot be removed."""
    if None not in props.values():
        return
    removed = sorted(k for k, v in props.items() if v is None and k in NODE_KINDS[kind].required)
    if removed:
        raise SchemaViolation(f"{kind} `{key}` cannot lose required property `{removed[0]}`")


def check_edge(kind: str, src: NodeRef, dst: NodeRef) -> None:
    edge = EDGE_KINDS.get(kind)
    if edge is None:
        raise SchemaViolation(f"unknown edge kind `{kind}`")
    _check_key(src.kind, src.key)
    _check_key(dst.kind, dst.key)
    if src.kind not in edge.sources or dst.kind not in edge.targets:
        raise SchemaViolation(
            f"a `{kind}` edge cannot go from {src.kind} to {dst.kind}: "
            f"it connects {'/'.join(sorted(edge.sources))} to {'/'.join(sorted(edge.targets))}"
        )


def _check_key(kind: str, key: str) -> None:
    if kind not in NODE_KINDS:
        raise SchemaViolation(f"unknown node kind `{kind}`")
    if not isinstance(key, str) or not key:
        raise SchemaViolation(f"a {kind} key must be a non-empty string, not `{key!r}`")


def _check_props(owner: str, declared: Mapping[str, PropType], props: Mapping[str, Any]) -> None:
    for name, value in props.items():
        expected = declared.get(name)
        if expected is None:
            raise SchemaViolation(f"{owner} has no property `{name}`")
        # the common case first: a value of exactly the declared scalar type
        if value is None or (type(value) is expected and expected is not list):
            continue
        if not _has_type(value, expected):
            raise SchemaViolation(f"{owner}.{name} must be {_type_name(expected)}, not `{value!r}`")


def _has_type(value: Any, expected: PropType) -> bool:
    if expected is list:
        return isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)
    if expected is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, expected)


def _type_name(expected: PropType) -> str:
    return "a list of strings" if expected is list else f"a {expected.__name__}"
