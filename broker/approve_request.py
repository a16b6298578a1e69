"""An approver of the request's current step approves it; when the last step is complete
the request is APPROVED and the grant follows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from broker import audit
from broker._lookup import load_flow, load_identity, load_request, requester_of
from broker._text import KEY, REASON, check_text
from broker._transitions import request_event
from broker.approval import StepPlan, index_ops, request_plan
from broker.authorize import authorize
from broker.errors import Forbidden, InvalidInput, NotFound, StateConflict
from broker.grant_request import grant_request
from broker.notify import NoticeKind, announce
from broker.services import Services
from broker.start_scheduled import waits_for_start
from broker.states import RequestState
from graph import (
    ConflictError,
    GraphStore,
    IdentityContext,
    Node,
    NodeRef,
    SetProps,
    UnknownNode,
    UpsertEdge,
    WriteOp,
)
from policies.api_authz import Target
from policies.flows import AccessFlow

# Concurrent partial approvals of one step retry after losing the compare-and-set.
_ATTEMPTS = 8


@dataclass(frozen=True)
class Decidable:
    """A pending request someone may decide, with its flow and its current step."""

    node: Node
    flow: AccessFlow
    plan: StepPlan
    approver: IdentityContext


def approve_request(services: Services, *, approver: str, request: str, reason: str = "") -> Node:
    """Record `approver`'s approval of the current step of pending `request`.

    A partial approval (more are needed) keeps the request PENDING; completing a step moves
    it to the next; completing the last approves it and provisions the grant. Raises
    Forbidden for self-approval or a non-approver of the step, InvalidInput for a missing
    reason the flow requires, StateConflict when the request is no longer pending or the
    approver already approved it.
    """
    for _ in range(_ATTEMPTS):
        found = check_can_decide(services, approver=approver, request=request, reason=reason)
        try:
            return _record(services, found, approver, reason)
        except ConflictError as lost:
            if lost.actual.get("state") != RequestState.PENDING.value:
                state = lost.actual.get("state")
                raise StateConflict(
                    f"request `{request}` is {state} now: someone else decided it first"
                ) from lost
    raise StateConflict(f"request `{request}` kept changing while you approved it: try again")


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
        return load_flow(services.store, str(node.props["flow"]))
    except NotFound:  # the flow was deleted: nobody can decide by it
        return None


def _record(services: Services, found: Decidable, approver: str, reason: str) -> Node:
    """One compare-and-set write of the approval; raises ConflictError when it lost."""
    store, node, plan = services.store, found.node, found.plan
    given = approvals(store, node)
    if approver in given:
        raise StateConflict(
            f"you already approved request `{node.key}` (step {given[approver] + 1}): "
            "one person counts once"
        )
    this_step = [person for person, step in given.items() if step == plan.index]
    done = plan.complete(
        {**{p: _groups_of(store, p) for p in this_step}, approver: found.approver.groups}
    )
    now = services.clock()
    version = int(node.props.get("version") or 0)
    expect = {
        "state": RequestState.PENDING.value,
        "approval_step": node.props.get("approval_step"),
        "version": node.props.get("version"),
    }
    props: dict[str, Any] = {"version": version + 1, "approval_step": plan.index}
    kind, data = "approval.recorded", {"step": plan.index, "reason": reason}
    reviewers: list[WriteOp] = []
    if done and plan.last:
        props |= {
            "state": RequestState.APPROVED.value,
            "decided_at": now,
            "decided_by": approver,
        }
        kind = "request.approved"
        reviewers = index_ops(store, node.ref, None)
    elif done:
        props |= {"approval_step": plan.index + 1, "step_started_at": now, "escalated": False}
        data["next_step"] = plan.index + 1
        after = Node(node.kind, node.key, {**node.props, **props})
        requester = requester_of(store, node)
        reviewers = index_ops(store, node.ref, request_plan(store, found.flow, after, requester))
    edge = UpsertEdge(
        "APPROVED",
        NodeRef("User", approver),
        node.ref,
        props={"at": now, "reason": reason, "step": plan.index},
    )
    event = request_event(node, kind, at=now, actor=approver, **data)
    ops = [SetProps(node.kind, node.key, props, expect), edge, *reviewers]
    audit.write_all(store, ops, [event])
    return _announce_outcome(services, found, approver, reason, now, kind, done)


def _announce_outcome(
    services: Services,
    found: Decidable,
    approver: str,
    reason: str,
    now: float,
    kind: str,
    done: bool,
) -> Node:
    """After the write: grant an approved request (unless it starts later), or tell the
    next step's approvers that it is theirs to review now."""
    after = load_request(services.store, found.node.key)
    if kind == "request.approved":
        announce(services, NoticeKind.APPROVED, after, actor=approver, reason=reason)
        if waits_for_start(after, now):
            return after  # start_scheduled grants it when its start comes
        return grant_request(services, request=after.key)
    if done:
        announce(
            services,
            NoticeKind.REQUEST_CREATED,
            after,
            actor=approver,
            flow=found.flow,
            justification=str(after.props.get("justification") or ""),
            approval_step=found.plan.index + 1,
        )
    return after


def _groups_of(store: GraphStore, person: str) -> frozenset[str]:
    """Every group `person` is in now; none when they left the directory since."""
    try:
        return store.identity_context(NodeRef("User", person)).groups
    except UnknownNode:
        return frozenset()


def approvals(store: GraphStore, node: Node) -> dict[str, int]:
    """Who approved request `node` so far, and in which step."""
    return {
        edge.src.key: int(edge.props.get("step") or 0)
        for edge in store.edges("APPROVED", dst=node.ref)
    }
