"""The one place names enter Cypher text: labels, relationship types and property names
are spliced into statements, so each comes only from graph.model (checked here, never
trusted from a caller) and is quoted with backticks. Every value travels as a parameter."""

from __future__ import annotations

from graph.model import EDGE_KINDS, NODE_KINDS


def label(kind: str) -> str:
    if kind not in NODE_KINDS:
        raise ValueError(f"`{kind}` is not a declared node kind")
    return f"`{kind}`"


def rel_type(kind: str) -> str:
    if kind not in EDGE_KINDS:
        raise ValueError(f"`{kind}` is not a declared edge kind")
    return f"`{kind}`"


def prop(kind: str, name: str) -> str:
    if name not in NODE_KINDS[kind].properties:
        raise ValueError(f"{kind} declares no property `{name}`")
    return f"`{name}`"


def rel_prop(kind: str, name: str) -> str:
    if name not in EDGE_KINDS[kind].properties:
        raise ValueError(f"{kind} declares no property `{name}`")
    return f"`{name}`"


REF = "[head(labels({0})), {0}.key]"
"""A node as `[label, key]` (format with the variable)."""

ACTIVE = "({0}.expires_at IS NULL OR {0}.expires_at > $now)"
"""A grant (format with its variable) still in force at `$now`."""
