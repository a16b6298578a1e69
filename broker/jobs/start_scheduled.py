"""Requests approved ahead of a later start are decided again, then granted, when that start
comes."""

from __future__ import annotations

import logging

from broker._lookup import beneficiary_of, load_flow, requester_of, target_of
from broker.approval import reviewers_left_waiting
from broker.errors import NotFound, StateConflict
from broker.grants._write import GrantFailed
from broker.grants.grant_request import grant_request
from broker.notify import NoticeKind, announce
from broker.requests._new_request import Asked, decide
from broker.requests._transitions import request_event, transition
from broker.requests.states import RequestState
from broker.services import Services
from graph import Node, UnknownNode
from policies.engine import Decision

_log = logging.getLogger(__name__)


def start_scheduled(services: Services, *, limit: int = 500) -> int:
    """Decide again, then grant, up to `limit` APPROVED requests whose `starts_at` has come;
    returns how many were granted.

    The policies decide again at the start, through the same decision the request took:
    a flow disabled or changed, or a forbid rule added, since the request was approved
    ends it CANCELLED (with an activity-log event and a notice to the requester), never
    granted. Safe beside other workers and processes: each move leaves APPROVED by a
    compare-and-set, so a request another worker (or a cancel) took first is skipped. A
    request whose provisioning fails is recorded FAILED by `grant_request` and not retried.

    A system job: it acts as the system for no caller, so no API policy is asked.
    """
    due = services.store.find_nodes(
        "AccessRequest",
        equals={"state": RequestState.APPROVED.value},
        at_most={"starts_at": services.clock()},
        limit=limit,
    )
    started = 0
    for request in due:
        refused = _refusal(services, request)
        try:
            if refused is not None:
                _cancel(services, request, *refused)
                continue
            grant_request(services, request=request.key)
        except StateConflict:
            continue  # cancelled, or started by another worker
        except GrantFailed as failed:
            _log.warning("scheduled start of %s failed: %s", request.key, failed)
            continue
        started += 1
    return started


def _refusal(services: Services, request: Node) -> tuple[str, Decision | None] | None:
    """Why `request` may no longer be granted at its start (and the decision that says
    so), or None when the flow that approved it still allows it."""
    store = services.store
    try:
        flow = load_flow(store, str(request.props["flow"]))
        target = store.resource_context(target_of(store, request))
        requester = store.identity_context(requester_of(store, request))
        holder = beneficiary_of(store, request)
        beneficiary = None if holder == requester.node.ref else store.identity_context(holder)
    except (NotFound, UnknownNode) as gone:
        return f"it can no longer be granted: {gone}", None
    asked = Asked(
        requester=requester,
        beneficiary=beneficiary,
        permissions=tuple(str(p) for p in request.props.get("permissions") or ()),
        duration_minutes=int(request.props["duration_minutes"]),
        justification=str(request.props.get("justification") or ""),
        trigger=flow.trigger,
        starts_at=float(request.props["starts_at"]),
    )
    decision, _ = decide(services, asked, target)
    if decision.allowed and flow.key in decision.flow_keys:
        return None
    reason = decision.reason or (
        f"flow `{flow.key}`, which approved it, no longer allows this access at its start"
    )
    return reason, decision


def _cancel(services: Services, request: Node, reason: str, decision: Decision | None) -> None:
    """APPROVED -> CANCELLED for a request the policies refuse at its start; the requester
    is told why. Raises StateConflict when someone else moved it first."""
    now = services.clock()
    why = f"not granted at its start: {reason}"
    event = request_event(
        request,
        "request.refused_at_start",
        at=now,
        actor="broker",
        decision="deny",
        policy_ids=list(decision.policy_ids) if decision is not None else [],
        explanation=reason,
    )
    ended = {"ended_at": now, "reason": why}
    transition(
        services.store,
        request.key,
        RequestState.APPROVED,
        RequestState.CANCELLED,
        ended,
        event=event,
    )
    cancelled = Node(
        request.kind,
        request.key,
        {**request.props, **ended, "state": RequestState.CANCELLED.value},
    )
    # Approved already: `reviewers_left_waiting` finds nobody still asked, without a read.
    waiting = reviewers_left_waiting(services.store, cancelled)
    announce(
        services, NoticeKind.CANCELLED, cancelled, actor="broker", approvers=waiting, reason=why
    )
