"""Moves a request between states with a compare-and-set, plus any writes that go with it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from broker import audit
from broker.errors import StateConflict
from broker.states import RequestState, can_move
from graph import ConflictError, DeleteEdge, GraphStore, Node, NodeRef, SetProps, WriteOp

# The edges that put a pending request in its reviewers' queues (broker.approval._index).
REVIEWS = "APPROVER"


@dataclass(frozen=True)
class Move:
    """One transition: `source` -> `target`, setting `props`, traced by `event`."""

    source: RequestState
    target: RequestState
    props: Mapping[str, Any] = field(default_factory=dict)
    event: audit.Entry | None = None


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
    move_through(store, key, [Move(source, target, props or {}, event)], also=also)


def move_through(
    store: GraphStore,
    key: str,
    moves: Sequence[Move],
    *,
    before: Sequence[WriteOp] = (),
    opening: Sequence[audit.Entry] = (),
    also: Sequence[WriteOp] = (),
) -> None:
    """Make consecutive `moves` of request `key` in one atomic write.

    Each move is its own compare-and-set on the state the move before it set, so the
    history (and the activity log) shows every step while the graph sees one commit:
    either the request went all the way, or nothing changed. `before` runs first (it may
    create the request, and `opening` are its events), `also` after the moves.
    """
    for earlier, later in pairwise(moves):
        if earlier.target is not later.source:
            raise ValueError(f"moves of `{key}` do not chain: {earlier.target} then {later.source}")
    cas: list[WriteOp] = []
    for move in moves:
        if not can_move(move.source, move.target):
            raise StateConflict(
                f"request `{key}` cannot go from {move.source.value} to {move.target.value}"
            )
        props = {**move.props, "state": move.target.value}
        cas.append(SetProps("AccessRequest", key, props, {"state": move.source.value}))
    if moves and moves[0].source is RequestState.PENDING:
        # No longer awaiting review: nobody's queue lists it any more.
        ref = NodeRef("AccessRequest", key)
        cas += [DeleteEdge(e.kind, e.src, e.dst, e.key) for e in store.edges(REVIEWS, dst=ref)]
    events = [*opening, *(move.event for move in moves if move.event is not None)]
    try:
        audit.write_all(store, [*before, *cas, *also], events)
    except ConflictError as lost:
        found = lost.actual.get("state")
        source = moves[0].source.value
        raise StateConflict(
            f"request `{key}` is {found} now, not {source}: someone else acted on it first"
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
