"""A request whose current step waited too long goes to the flow's escalation tier too
(a scheduler job)."""

from __future__ import annotations

import logging
from functools import lru_cache

from broker._lookup import load_request, requester_of
from broker.approval import index_ops, request_plan, reviewers_to_tell
from broker.errors import DomainError, StateConflict
from broker.notify import NoticeKind, announce
from broker.requests._deciding import settle_step
from broker.requests._transitions import request_event, update_while
from broker.requests.states import RequestState
from broker.services import Services
from graph import Node
from policies.flows import AccessFlow, FlowInvalid

_log = logging.getLogger(__name__)


def escalate_requests(services: Services, *, limit: int = 500) -> int:
    """Escalate pending requests whose current step started `escalation_minutes` ago.

    One query per escalating flow finds them (state, flow, not yet escalated, step started
    early enough). Each escalation is a compare-and-set on the state, the step and
    `escalated`, so an approval that moved the step on meanwhile wins and two processes
    escalate a request once. Returns how many this call escalated.

    A system job: it acts as the system for no caller, so no API policy is asked.
    """
    now = services.clock()
    escalated = 0
    for flow in _escalating_flows(services):
        due = services.store.find_nodes(
            "AccessRequest",
            equals={"state": RequestState.PENDING.value, "flow": flow.key, "escalated": False},
            at_most={"step_started_at": now - flow.escalation_minutes * 60},
            limit=limit,
        )
        escalated += sum(1 for node in due if _escalate(services, flow, node, now))
    if escalated:
        _log.info("escalated %d pending request(s)", escalated)
    return escalated


def _escalate(services: Services, flow: AccessFlow, node: Node, now: float) -> bool:
    """Escalate `node` and tell its reviewers, now the tier too; False when it lost."""
    step = node.props.get("approval_step")
    expect = {"approval_step": step, "escalated": False}
    event = request_event(
        node,
        "request.escalated",
        at=now,
        actor="broker",
        step=int(str(step or 0)),
        to_users=list(flow.escalation_users),
        to_groups=list(flow.escalation_groups),
    )
    props = {"escalated": True, "version": int(node.props.get("version") or 0) + 1}
    store = services.store
    after = Node(node.kind, node.key, {**node.props, **props})
    tier = request_plan(store, flow, after, requester_of(store, node))
    reviewers = index_ops(store, node.ref, tier)
    try:
        update_while(
            store,
            node.key,
            RequestState.PENDING,
            props,
            expect=expect,
            also=reviewers,
            event=event,
        )
    except StateConflict:
        return False  # approved, decided or escalated after the read
    if _settled(services, node.key):
        return True  # an approval given before completes the step now: nobody to ask
    after = load_request(services.store, node.key)
    announce(
        services,
        NoticeKind.REQUEST_CREATED,
        after,
        actor="broker",
        approvers=reviewers_to_tell(store, tier, after),
        justification=str(after.props.get("justification") or ""),
        escalated=True,
    )
    return True


def _settled(services: Services, key: str) -> bool:
    """Whether the approvals request `key` already has complete its escalated step (the
    tier includes someone who approved it before): then the step is complete now."""
    try:
        return settle_step(services, request=key) is not None
    except DomainError as failed:  # the grant that followed failed: recorded on the request
        _log.warning("request %s approved on escalation, then: %s", key, failed)
        return True


def _escalating_flows(services: Services) -> list[AccessFlow]:
    """The stored flows that escalate: read from the graph each pass, so a flow another
    process saved counts at once; parsed once per definition."""
    found = []
    for node in services.store.find_nodes("AccessFlow"):
        flow = _parsed(str(node.props["definition"]))
        if flow is None:
            _log.error("access flow `%s` does not parse: not escalating its requests", node.key)
        elif flow.escalation_minutes > 0 and not flow.auto_approve:
            found.append(flow)
    return found


@lru_cache(maxsize=1024)
def _parsed(definition: str) -> AccessFlow | None:
    try:
        return AccessFlow.from_json(definition)
    except (FlowInvalid, ValueError):
        return None
