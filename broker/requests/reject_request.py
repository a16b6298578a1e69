"""An approver of the request's current step turns it down."""

from __future__ import annotations

from broker._lookup import load_request
from broker.errors import StateConflict
from broker.notify import NoticeKind, announce
from broker.requests._deciding import check_can_decide
from broker.requests._transitions import LostRace, request_event, transition
from broker.requests.states import RequestState
from broker.services import Services
from graph import Node


def reject_request(services: Services, *, approver: str, request: str, reason: str = "") -> Node:
    """Reject pending `request`: one rejection ends it, whatever approvals it had.

    The write expects the step the approver was authorized for, so a step-one approver
    cannot reject a request that moved on to step two meanwhile.
    """
    found = check_can_decide(
        services, approver=approver, request=request, action="reject", reason=reason
    )
    node, now = found.node, services.clock()
    props = {
        "decided_at": now,
        "decided_by": approver,
        "reason": reason,
        "version": int(node.props.get("version") or 0) + 1,
    }
    event = request_event(
        node, "request.rejected", at=now, actor=approver, reason=reason, step=found.plan.index
    )
    step = {"approval_step": node.props.get("approval_step")}
    try:
        transition(
            services.store,
            request,
            RequestState.PENDING,
            RequestState.REJECTED,
            props,
            event=event,
            expect=step,
        )
    except LostRace as lost:
        state = lost.actual.get("state")
        raise StateConflict(
            f"request `{request}` is {state} at another step now: someone else acted first, "
            "check it again"
            if state == RequestState.PENDING.value
            else f"request `{request}` is {state} now, not PENDING: someone else acted first"
        ) from lost
    rejected = load_request(services.store, request)
    announce(services, NoticeKind.REJECTED, rejected, actor=approver, reason=reason)
    return rejected
