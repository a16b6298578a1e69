"""JSON for GraphQL responses: orjson (several times faster than the standard library on
response-shaped data), the standard library for what orjson refuses (an integer beyond 64
bits, say), so a response never fails for its encoder."""

from __future__ import annotations

import json
from typing import Any

import orjson


def dumps(data: Any, *, default: Any = None) -> bytes:
    """`data` as compact JSON, as `json.dumps(data, separators=(",", ":"))` writes it."""
    try:
        return orjson.dumps(data, default=default)
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(data, separators=(",", ":"), default=default).encode()


def size_of(data: Any) -> int:
    """How many bytes `data` takes as JSON (anything unknown counted as its text)."""
    return len(dumps(data, default=str))
