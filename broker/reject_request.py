"""An approver turns a pending request down."""

from __future__ import annotations

from broker._lookup import load_request
from broker._transitions import request_event, transition
from broker.approve_request import check_can_decide
from broker.notify import NoticeKind, announce
from broker.services import Services
from broker.states import RequestState
from graph import Node


def reject_request(services: Services, *, approver: str, request: str, reason: str = "") -> Node:
    node = check_can_decide(services, approver=approver, request=request, action="reject")
    now = services.clock()
    transition(
        services.store,
        request,
        RequestState.PENDING,
        RequestState.REJECTED,
        {"decided_at": now, "decided_by": approver, "reason": reason},
        event=request_event(node, "request.rejected", at=now, actor=approver, reason=reason),
    )
    rejected = load_request(services.store, request)
    announce(services, NoticeKind.REJECTED, rejected, actor=approver, reason=reason)
    return rejected
