"""Deciding a pending request: who may decide it now (`check_can_decide`, for approving
and rejecting alike), writing an approval with its compare-and-set, completing a step
(also when an escalation makes approvals already given enough), and what follows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from broker._lookup import known_flow, load_identity, requester_of
from broker._text import KEY, REASON, check_text
from broker.approval import StepPlan, index_ops, request_plan, reviewers_to_tell
from broker.authorize import authorize
from broker.errors import Forbidden, InvalidInput, NotFound, StateConflict
from broker.grants.grant_request import grant_approved
from broker.notify import NoticeKind, announce
from broker.requests._transitions import LostRace, request_event, transition, update_while
from broker.requests.states import RequestState, waits_for_start
from broker.services import Services
from graph import (
    GraphStore,
    IdentityContext,
    Node,
    NodeRef,
    UnknownNode,
    UpsertEdge,
    WriteOp,
)
from policies.api_authz import Target
from policies.flows import AccessFlow


@dataclass(frozen=True)
class Decidable:
    """A pending request someone may decide, with its flow and its current step."""

    node: Node
    flow: AccessFlow
    plan: StepPlan
    approver: IdentityContext


def check_can_decide(
    services: Services,
    *,
    approver: str,
    request: str,
    action: str = "approve",
    reason: str | None = None,
) -> Decidable:
    """The pending request, if `approver` may `action` ("approve" or "reject") it now; else
    raise. Cedar decides against the current step's approvers (and the escalation tier once
    escalated): the requester and the beneficiary never may. Anyone else who may not gets
    the same Forbidden whether the request exists or not, before its state is told. A
    `reason` is checked against the flow's `approver_reason_required`."""
    check_text("request id", request, most=KEY)
    if reason is not None:
        check_text("reason", reason, most=REASON, multiline=True)
    identity = load_identity(services.store, approver)
    node = services.store.get_node("AccessRequest", request)
    flow = _flow_of(services, node)
    if node is None or flow is None:
        raise _not_deciding(request)
    requester = requester_of(services.store, node)
    plan = request_plan(services.store, flow, node, requester)
    target = Target.access_request(
        request,
        requester=requester.key if requester.kind == "User" else None,
        flow=flow.key,
        approvers=plan.users,
        approver_groups=plan.groups,
        beneficiary=str(node.props.get("beneficiary") or "") or None,
    )
    try:
        authorize(
            services, user=identity.node, action=action, target=target, groups=identity.groups
        )
    except Forbidden:
        if approver in (target.requester, target.beneficiary):
            raise  # they know it exists: tell them they cannot decide their own
        raise _not_deciding(request) from None
    state = str(node.props["state"])
    if state != RequestState.PENDING.value:
        raise StateConflict(f"request `{request}` is {state}: only a PENDING request is decided")
    if reason is not None and flow.approver_reason_required and not reason.strip():
        raise InvalidInput(
            f"flow `{flow.key}` needs the approver's reason: say why you {action} "
            f"request `{request}`"
        )
    return Decidable(node, flow, plan, identity)


def _not_deciding(request: str) -> Forbidden:
    """The one answer for a request the caller may not decide, whether it exists or not
    (no existence oracle): it names neither the flow nor the state."""
    return Forbidden(
        f"you are not an approver of request `{request}` now, or no such request exists: "
        "check the id and your approval queue"
    )


def _flow_of(services: Services, node: Node | None) -> AccessFlow | None:
    if node is None:
        return None
    try:
        return known_flow(services, str(node.props["flow"]))
    except NotFound:  # the flow was deleted: nobody can decide by it
        return None


def write_approval(
    services: Services, found: Decidable, approver: str, reason: str, *, done: bool, new: bool
) -> tuple[str, float, bool, Node]:
    """Record the approval (`new`: a new one from `approver`; else one given before) and,
    when the step is `done`, move the request to its next step or to APPROVED."""
    store, node, plan = services.store, found.node, found.plan
    now = services.clock()
    # The approvals read are those of this version: any approval meanwhile changes it.
    expect = {
        "approval_step": node.props.get("approval_step"),
        "version": node.props.get("version"),
    }
    props: dict[str, Any] = {
        "version": int(node.props.get("version") or 0) + 1,
        "approval_step": plan.index,
    }
    data: dict[str, Any] = {"step": plan.index, "reason": reason}
    if not new:
        data["given_before"] = True
    edge: list[WriteOp] = []
    if new:
        at = {"at": now, "reason": reason, "step": plan.index}
        edge = [UpsertEdge("APPROVED", NodeRef("User", approver), node.ref, props=at)]
    if done and plan.last:
        props |= {"decided_at": now, "decided_by": approver}
        event = request_event(node, "request.approved", at=now, actor=approver, **data)
        transition(
            store,
            node.key,
            RequestState.PENDING,
            RequestState.APPROVED,
            props,
            also=edge,
            event=event,
            expect=expect,
        )
        return "request.approved", now, done, _after(node, props, RequestState.APPROVED)
    reviewers: list[WriteOp] = []
    if done:
        props |= {"approval_step": plan.index + 1, "step_started_at": now, "escalated": False}
        data["next_step"] = plan.index + 1
        after = Node(node.kind, node.key, {**node.props, **props})
        requester = requester_of(store, node)
        reviewers = index_ops(store, node.ref, request_plan(store, found.flow, after, requester))
    event = request_event(node, "approval.recorded", at=now, actor=approver, **data)
    update_while(
        store,
        node.key,
        RequestState.PENDING,
        props,
        expect=expect,
        also=[*edge, *reviewers],
        event=event,
    )
    return "approval.recorded", now, done, _after(node, props, RequestState.PENDING)


def _after(node: Node, props: Mapping[str, Any], state: RequestState) -> Node:
    """Request `node` as the write that set `props` and `state` left it (no read again)."""
    return Node(node.kind, node.key, {**node.props, **props, "state": state.value})


def settle_step(services: Services, *, request: str) -> Node | None:
    """Complete the current step of pending `request` when the approvals it has complete
    it now, and return the request after; None when they do not (or someone acted first).

    An escalation calls it: the tier it adds may include someone who approved the step
    before, and that approval counts for the step it was given in (one person counts
    once, never zero times). The approval that completes the step decides it.
    """
    store = services.store
    node = store.get_node("AccessRequest", request)
    flow = _flow_of(services, node)
    if node is None or flow is None or node.props.get("state") != RequestState.PENDING.value:
        return None
    plan = request_plan(store, flow, node, requester_of(store, node))
    decider = _completing(store, node, plan)
    if decider is None:
        return None
    found = Decidable(node, flow, plan, load_identity(store, decider))
    try:
        kind, now, done, after = write_approval(services, found, decider, "", done=True, new=False)
    except LostRace:
        return None  # an approval or a decision meanwhile had its own outcome
    return announce_outcome(services, after, found, decider, "", now, kind, done)


def _completing(store: GraphStore, node: Node, plan: StepPlan) -> str | None:
    """Who, among the approvers of `plan`'s step taken in the order they approved, first
    makes the step complete; None when all of them together do not."""
    edges = [e for e in store.edges("APPROVED", dst=node.ref) if _step(e.props) == plan.index]
    so_far: dict[str, frozenset[str]] = {}
    for edge in sorted(edges, key=lambda e: (float(e.props.get("at") or 0), e.src.key)):
        so_far[edge.src.key] = groups_of(store, edge.src.key)
        if plan.complete(so_far):
            return edge.src.key
    return None


def announce_outcome(
    services: Services,
    after: Node,
    found: Decidable,
    approver: str,
    reason: str,
    now: float,
    kind: str,
    done: bool,
) -> Node:
    """After the write: grant an approved request (unless it starts later), or tell the
    next step's approvers that it is theirs to review now."""
    if kind == "request.approved":
        announce(services, NoticeKind.APPROVED, after, actor=approver, reason=reason)
        if waits_for_start(after, now):
            return after  # start_scheduled grants it when its start comes
        return grant_approved(services, after)
    if done:
        store = services.store
        next_step = request_plan(store, found.flow, after, requester_of(store, after))
        announce(
            services,
            NoticeKind.REQUEST_CREATED,
            after,
            actor=approver,
            approvers=reviewers_to_tell(store, next_step, after),
            justification=str(after.props.get("justification") or ""),
            approval_step=found.plan.index + 1,
        )
    return after


def groups_of(store: GraphStore, person: str) -> frozenset[str]:
    """Every group `person` is in now; none when they left the directory since."""
    try:
        return store.identity_context(NodeRef("User", person)).groups
    except UnknownNode:
        return frozenset()


def approvals(store: GraphStore, node: Node) -> dict[str, int]:
    """Who approved request `node` so far, and in which step."""
    return {edge.src.key: _step(edge.props) for edge in store.edges("APPROVED", dst=node.ref)}


def _step(props: Mapping[str, Any]) -> int:
    return int(props.get("step") or 0)
