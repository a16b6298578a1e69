"""The requester (or an admin) withdraws a request before it is granted."""

from __future__ import annotations

from broker._guard import request_as
from broker._text import KEY, check_text
from broker.approval import reviewers_left_waiting
from broker.errors import StateConflict
from broker.notify import NoticeKind, announce
from broker.requests._transitions import request_event, transition
from broker.requests.states import RequestState, waits_for_start
from broker.services import Services
from graph import Node


def cancel_request(services: Services, *, actor: str, request: str) -> Node:
    """PENDING (or APPROVED and waiting for a later start) -> CANCELLED.

    Only the requester or an admin may cancel (Forbidden otherwise, for a missing request
    too: no existence oracle). Raises StateConflict
    for a request that is finished, being granted or granted, and for the loser of a race
    with an approver, another cancel or the scheduled start.
    """
    check_text("request id", request, most=KEY)
    _, node = request_as(services, actor, request, "cancel")
    now = services.clock()
    source = _cancellable_from(node, now)
    ended = {"ended_at": now, "reason": f"cancelled by {actor}"}
    transition(
        services.store,
        request,
        source,
        RequestState.CANCELLED,
        ended,
        event=request_event(node, "request.cancelled", at=now, actor=actor, was=source.value),
    )
    cancelled = Node(
        node.kind, request, {**node.props, **ended, "state": RequestState.CANCELLED.value}
    )
    waiting = reviewers_left_waiting(services.store, cancelled)
    announce(services, NoticeKind.CANCELLED, cancelled, actor=actor, approvers=waiting)
    return cancelled


def _cancellable_from(node: Node, now: float) -> RequestState:
    state = str(node.props["state"])
    if state == RequestState.PENDING.value:
        return RequestState.PENDING
    if state == RequestState.APPROVED.value and waits_for_start(node, now):
        return RequestState.APPROVED
    hint = {
        RequestState.GRANTED.value: "revoke the access instead",
        RequestState.GRANTING.value: "revoke the access once it is granted",
        RequestState.APPROVED.value: "revoke the access once it is granted",
    }.get(state, "it has ended, so there is nothing to cancel")
    raise StateConflict(
        f"request `{node.key}` is {state}: only a pending request, or an approved one still "
        f"waiting for its start, can be cancelled; {hint}"
    )
