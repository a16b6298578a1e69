"""Moves a request between states with a compare-and-set, plus any writes that go with it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from broker import audit
from broker.errors import StateConflict
from broker.states import RequestState, can_move
from graph import ConflictError, GraphStore, Node, SetProps, WriteOp


def transition(
    store: GraphStore,
    key: str,
    source: RequestState,
    target: RequestState,
    props: dict[str, Any] | None = None,
    also: Sequence[WriteOp] = (),
    event: audit.Entry | None = None,
) -> None:
    """Move request `key` from `source` to `target` atomically with `also` and `event`."""
    if not can_move(source, target):
        raise StateConflict(f"request `{key}` cannot go from {source.value} to {target.value}")
    cas = SetProps(
        "AccessRequest", key, {**(props or {}), "state": target.value}, {"state": source.value}
    )
    try:
        audit.write(store, [cas, *also], event)
    except ConflictError as lost:
        found = lost.actual.get("state")
        raise StateConflict(
            f"request `{key}` is {found} now, not {source.value}: someone else acted on it first"
        ) from lost


def request_event(node: Node, kind: str, *, at: float, actor: str, **data: Any) -> audit.Entry:
    """The activity-log entry for something that happened to request `node`."""
    return audit.Entry(
        kind=kind,
        at=at,
        actor=actor,
        resource=str(node.props.get("resource", "")),
        subject=node.key,
        data=data,
    )
