"""Moves a request between states with a compare-and-set, plus any writes that go with it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from broker.errors import StateConflict
from broker.states import RequestState, can_move
from graph import ConflictError, GraphStore, SetProps, WriteOp


def transition(
    store: GraphStore,
    key: str,
    source: RequestState,
    target: RequestState,
    props: dict[str, Any] | None = None,
    also: Sequence[WriteOp] = (),
) -> None:
    """Move request `key` from `source` to `target` atomically with `also`, or raise."""
    if not can_move(source, target):
        raise StateConflict(f"request `{key}` cannot go from {source.value} to {target.value}")
    cas = SetProps(
        "AccessRequest", key, {**(props or {}), "state": target.value}, {"state": source.value}
    )
    try:
        store.write([cas, *also])
    except ConflictError as lost:
        found = lost.actual.get("state")
        raise StateConflict(
            f"request `{key}` is {found} now, not {source.value}: someone else acted on it first"
        ) from lost
