"""Moves a request between states with a compare-and-set, plus any writes that go with it.

This is the one module that writes an AccessRequest's `state` (a test reads every other
module to make sure): a move is allowed by `states.TRANSITIONS` or refused, and every
write is a compare-and-set on the state it starts from, plus whatever else the caller
read and relies on (`Move.expect`: the approval step, a version, `expires_at`...).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from broker import audit
from broker.errors import StateConflict
from broker.requests.states import RequestState, can_move
from graph import (
    ConflictError,
    DeleteEdge,
    GraphStore,
    Node,
    NodeRef,
    SetProps,
    UpsertEdge,
    UpsertNode,
    WriteOp,
)

# The edges that put a pending request in its reviewers' queues (broker.approval._index).
REVIEWS = "APPROVER"
_KIND = "AccessRequest"
_STATE = "state"


@dataclass(frozen=True)
class Move:
    """One transition: `source` -> `target`, setting `props`, traced by `event`.

    `expect` are further props the request must still hold for the move to happen (what
    the caller decided on besides the state); neither `props` nor `expect` may name the
    state, which only `source` and `target` say.
    """

    source: RequestState
    target: RequestState
    props: Mapping[str, Any] = field(default_factory=dict)
    event: audit.Entry | None = None
    expect: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _refuse_state("props", self.props)
        _refuse_state("expect", self.expect)


class LostRace(StateConflict):
    """A compare-and-set on a request lost: `actual` holds what it holds now (for the
    fields the write expected), so a caller may tell "decided" from "moved on, retry"."""

    def __init__(self, message: str, actual: Mapping[str, Any]) -> None:
        super().__init__(message)
        self.actual = dict(actual)


def transition(
    store: GraphStore,
    key: str,
    source: RequestState,
    target: RequestState,
    props: dict[str, Any] | None = None,
    also: Sequence[WriteOp] = (),
    event: audit.Entry | None = None,
    expect: Mapping[str, Any] | None = None,
) -> None:
    """Move request `key` from `source` to `target` atomically with `also` and `event`."""
    move = Move(source, target, props or {}, event, expect or {})
    move_through(store, key, [move], also=also)


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
    create the request, and `opening` are its events), `also` after the moves. Raises
    LostRace when another writer changed the request first.
    """
    for earlier, later in pairwise(moves):
        if earlier.target is not later.source:
            raise ValueError(f"moves of `{key}` do not chain: {earlier.target} then {later.source}")
    cas = [_cas(key, move) for move in moves]
    ops: list[WriteOp] = [*before, *cas]
    if moves and moves[0].source is RequestState.PENDING:
        # No longer awaiting review: nobody's queue lists it any more.
        ops += _leave_queues(store, NodeRef(_KIND, key), before)
    events = [*opening, *(move.event for move in moves if move.event is not None)]
    _write(store, [*ops, *also], events, moves[0].source if moves else None)


def _leave_queues(store: GraphStore, ref: NodeRef, before: Sequence[WriteOp]) -> list[WriteOp]:
    """Deletes of the edges that queue request `ref` for its reviewers. A request that
    `before` creates in this very write (its key is new) is queued only by what `before`
    adds, so the graph is not asked: a round trip less for every auto-approved request."""
    created = any(
        isinstance(op, UpsertNode) and op.kind == ref.kind and op.key == ref.key for op in before
    )
    if created:
        return [
            DeleteEdge(op.kind, op.src, op.dst, op.key)
            for op in before
            if isinstance(op, UpsertEdge) and op.kind == REVIEWS and op.dst == ref
        ]
    return [DeleteEdge(e.kind, e.src, e.dst, e.key) for e in store.edges(REVIEWS, dst=ref)]


def move_each(
    store: GraphStore,
    moves: Sequence[tuple[str, Move]],
    *,
    also: Sequence[WriteOp] = (),
) -> None:
    """Move several requests, one move each, in one atomic write (a batch of a job):
    each its own compare-and-set, all or none. Pending sources are refused: leaving
    review needs `move_through`, which also clears the reviewers' queues."""
    if any(move.source is RequestState.PENDING for _, move in moves):
        raise ValueError("a batch cannot move pending requests: use move_through for each")
    events = [move.event for _, move in moves if move.event is not None]
    _write(store, [*(_cas(key, move) for key, move in moves), *also], events, None)


def update_while(
    store: GraphStore,
    key: str,
    state: RequestState,
    props: Mapping[str, Any],
    *,
    expect: Mapping[str, Any] | None = None,
    also: Sequence[WriteOp] = (),
    event: audit.Entry | None = None,
) -> None:
    """Set `props` of request `key` (not its state) if it is still in `state` and still
    holds `expect`: a partial approval, a step moving on, an escalation. Raises LostRace
    when another writer changed it first."""
    _refuse_state("props", props)
    _refuse_state("expect", expect or {})
    cas = SetProps(_KIND, key, dict(props), {**(expect or {}), _STATE: state.value})
    _write(store, [cas, *also], [] if event is None else [event], state)


def _cas(key: str, move: Move) -> SetProps:
    if not can_move(move.source, move.target):
        raise StateConflict(
            f"request `{key}` cannot go from {move.source.value} to {move.target.value}"
        )
    props = {**move.props, _STATE: move.target.value}
    return SetProps(_KIND, key, props, {**move.expect, _STATE: move.source.value})


def _write(
    store: GraphStore,
    ops: Sequence[WriteOp],
    events: Sequence[audit.Entry],
    source: RequestState | None,
) -> None:
    try:
        audit.write_all(store, ops, events)
    except ConflictError as lost:
        raise LostRace(_lost_message(lost, source), lost.actual) from lost


def _lost_message(lost: ConflictError, source: RequestState | None) -> str:
    key, found = lost.ref.key, lost.actual.get(_STATE)
    changed = ", ".join(k for k, v in lost.expected.items() if lost.actual.get(k) != v)
    if lost.ref.kind != _KIND:
        return f"{lost.ref.kind} `{key}` changed meanwhile ({changed}): check it again"
    if source is not None and found == source.value:
        return (
            f"request `{key}` is still {found} but its {changed} changed meanwhile: "
            "someone else acted on it first, check it again"
        )
    was = "" if source is None else f", not {source.value}"
    return f"request `{key}` is {found} now{was}: someone else acted on it first"


def _refuse_state(name: str, props: Mapping[str, Any]) -> None:
    if _STATE in props:
        raise ValueError(f"a move's {name} may not name the state: its source and target do")


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
