"""An approver turns a pending request down."""

from __future__ import annotations

from broker._lookup import load_request
from broker._transitions import transition
from broker.approve_request import check_can_decide
from broker.services import Services
from broker.states import RequestState
from graph import Node


def reject_request(services: Services, *, approver: str, request: str, reason: str = "") -> Node:
    check_can_decide(services, approver=approver, request=request)
    transition(
        services.store,
        request,
        RequestState.PENDING,
        RequestState.REJECTED,
        {"decided_at": services.clock(), "decided_by": approver, "reason": reason},
    )
    return load_request(services.store, request)
