"""The request state machine of DESIGN.md; every transition is a compare-and-set."""

from __future__ import annotations

from enum import StrEnum


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
