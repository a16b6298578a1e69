"""Schemathesis hooks for fuzzing /graphql (loaded by `st run` via SCHEMATHESIS_HOOKS).

Two things schemathesis cannot know by itself:
- how to write a value of Keyturn's `JSON` scalar (a small object of plain values);
- which answers are server errors. Its own `not_a_server_error` takes every resolver
  error as one, but Keyturn answers a refused or unknown input with a resolver error that
  carries a domain `code` (`not_found`, `forbidden`, ...). A server error here is a 5xx, an
  error that says "internal", or a resolver error without a code (an unmapped exception).
"""

from __future__ import annotations

from typing import Any

import graphql
import schemathesis
from hypothesis import strategies as st
from schemathesis.graphql import nodes

_INTERNAL_CODES = {"internal", "internal_server_error"}


def _field(item: tuple[str, graphql.ValueNode]) -> graphql.ObjectFieldNode:
    name, value = item
    return graphql.ObjectFieldNode(name=graphql.NameNode(value=name), value=value)


_PLAIN = st.one_of(
    st.text(max_size=20).map(nodes.String),
    st.integers(min_value=-(2**31), max_value=2**31 - 1).map(nodes.Int),
    st.booleans().map(nodes.Boolean),
)
_NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,11}", fullmatch=True)
schemathesis.graphql.scalar(
    "JSON",
    st.lists(st.tuples(_NAMES, _PLAIN), max_size=4, unique_by=lambda kv: kv[0]).map(
        lambda items: nodes.Object([_field(i) for i in items])
    ),
)


def internal_errors(status: int, body: Any) -> list[str]:
    """What in one answer says the server failed, rather than refused the input."""
    if status >= 500:
        return [f"HTTP {status}"]
    if not isinstance(body, dict):
        return [f"HTTP {status} with a body that is not a JSON object"]
    found = []
    for error in body.get("errors") or []:
        message = str(error.get("message", ""))
        code = str((error.get("extensions") or {}).get("code", "")).lower()
        if code in _INTERNAL_CODES or "internal error" in message.lower():
            found.append(f"internal error: {message}")
        elif "path" in error and not code:
            found.append(f"a resolver error without a code (an unmapped exception): {message}")
    return found


@schemathesis.check
def keyturn_no_server_error(ctx: Any, response: Any, case: Any) -> None:
    """No 5xx, no "internal error", no resolver error without a domain code."""
    try:
        body = response.json()
    except ValueError:
        body = None
    found = internal_errors(response.status_code, body)
    if found:
        raise AssertionError("; ".join(found))
