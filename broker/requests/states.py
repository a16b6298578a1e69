"""The request state machine of DESIGN.md; every transition is a compare-and-set."""

from __future__ import annotations

from enum import StrEnum

from graph import Node


class RequestState(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    GRANTING = "GRANTING"
    GRANTED = "GRANTED"
    EXPIRED = "EXPIRED"
    REVOKED = "REVOKED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"
    TIMED_OUT = "TIMED_OUT"
    FAILED = "FAILED"


TRANSITIONS: dict[RequestState, frozenset[RequestState]] = {
    RequestState.PENDING: frozenset(
        {
            RequestState.APPROVED,
            RequestState.REJECTED,
            RequestState.CANCELLED,
            RequestState.TIMED_OUT,
        }
    ),
    # An approved request waiting for a later start may still be cancelled.
    RequestState.APPROVED: frozenset({RequestState.GRANTING, RequestState.CANCELLED}),
    RequestState.GRANTING: frozenset({RequestState.GRANTED, RequestState.FAILED}),
    RequestState.GRANTED: frozenset({RequestState.EXPIRED, RequestState.REVOKED}),
}


def can_move(current: RequestState, target: RequestState) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def waits_for_start(request: Node, now: float) -> bool:
    """True while `request` asked for a start still to come: it must not be granted yet."""
    starts_at = request.props.get("starts_at")
    return starts_at is not None and float(starts_at) > now
