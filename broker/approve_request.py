"""An approver named by the request's flow approves it; the grant follows."""

from __future__ import annotations

from broker._lookup import load_flow, load_identity, load_request
from broker._transitions import request_event, transition
from broker.errors import Forbidden, StateConflict
from broker.grant_request import grant_request
from broker.notify import NoticeKind, announce
from broker.services import Services
from broker.states import RequestState
from graph import Node, NodeRef, UpsertEdge


def approve_request(services: Services, *, approver: str, request: str, reason: str = "") -> Node:
    """Approve pending `request` as `approver`, then provision it.

    Raises Forbidden for self-approval or a non-approver, StateConflict when the request is
    no longer pending (including when another approver won the race).
    """
    node = check_can_decide(services, approver=approver, request=request)
    now = services.clock()
    transition(
        services.store,
        request,
        RequestState.PENDING,
        RequestState.APPROVED,
        {"decided_at": now, "decided_by": approver},
        also=[
            UpsertEdge(
                "APPROVED",
                NodeRef("User", approver),
                node.ref,
                props={"at": now, "reason": reason},
            )
        ],
        event=request_event(node, "request.approved", at=now, actor=approver, reason=reason),
    )
    approved = load_request(services.store, request)
    announce(services, NoticeKind.APPROVED, approved, actor=approver, reason=reason)
    grant_request(services, request=request)
    return load_request(services.store, request)


def check_can_decide(services: Services, *, approver: str, request: str) -> Node:
    """The pending request, if `approver` may approve or reject it; else raise."""
    node = load_request(services.store, request)
    state = str(node.props["state"])
    if state != RequestState.PENDING.value:
        raise StateConflict(f"request `{request}` is {state}: only a PENDING request is decided")
    if approver == node.props["requester"]:
        raise Forbidden(f"`{approver}` cannot approve or reject their own request `{request}`")
    flow = load_flow(services.store, str(node.props["flow"]))
    identity = load_identity(services.store, approver)
    if approver not in flow.approvers and not identity.groups & set(flow.approver_groups):
        raise Forbidden(
            f"`{approver}` is not an approver of flow `{flow.key}`, which decides request "
            f"`{request}`"
        )
    return node
