"""An approver named by the request's flow approves it; the grant follows."""

from __future__ import annotations

from broker._lookup import load_flow, load_identity, load_request, requester_of
from broker._transitions import request_event, transition
from broker.authorize import authorize
from broker.errors import StateConflict
from broker.grant_request import grant_request
from broker.notify import NoticeKind, announce
from broker.services import Services
from broker.states import RequestState
from graph import Node, NodeRef, UpsertEdge
from policies.api_authz import Target


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


def check_can_decide(
    services: Services, *, approver: str, request: str, action: str = "approve"
) -> Node:
    """The pending request, if `approver` may `action` ("approve" or "reject") it; else
    raise. Cedar decides: the flow's approvers may, the requester never."""
    node = load_request(services.store, request)
    state = str(node.props["state"])
    if state != RequestState.PENDING.value:
        raise StateConflict(f"request `{request}` is {state}: only a PENDING request is decided")
    flow = load_flow(services.store, str(node.props["flow"]))
    identity = load_identity(services.store, approver)
    requester = requester_of(services.store, node)
    target = Target.access_request(
        request,
        requester=requester.key if requester.kind == "User" else None,
        flow=flow.key,
        approvers=frozenset(flow.approvers),
        approver_groups=frozenset(flow.approver_groups),
    )
    authorize(services, user=identity.node, action=action, target=target, groups=identity.groups)
    return node
