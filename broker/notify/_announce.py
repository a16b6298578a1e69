"""The use cases' one call: tell the notifier, and never let that fail the operation."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from broker.notify._events import Notice, NoticeKind
from graph import GraphStore, Node

if TYPE_CHECKING:
    from broker.services import Services
    from policies.flows import AccessFlow

_log = logging.getLogger(__name__)


def announce(
    services: Services,
    kind: NoticeKind,
    node: Node,
    *,
    actor: str = "",
    to_admins: bool = False,
    flow: AccessFlow | None = None,
    **details: Any,
) -> None:
    """Publish `kind` for request `node`; any failure is logged and swallowed.

    With `to_admins` the notice goes to every enabled admin instead of the requester.
    A caller that holds the request's `flow` passes it, sparing a read and a parse.
    """
    try:
        approvers: tuple[str, ...] = ()
        if kind is NoticeKind.REQUEST_CREATED or _ended_undecided(kind, node):
            approvers = _approvers(services.store, node, flow)
        admins = _admins(services.store) if to_admins else ()
        requester = str(node.props.get("requester", ""))
        beneficiary = str(node.props.get("beneficiary") or "")
        notice = Notice(
            kind=kind,
            request=node.key,
            requester=requester,
            beneficiary="" if beneficiary == requester else beneficiary,
            resource=str(node.props.get("resource", "")),
            state=str(node.props.get("state", "")),
            at=services.clock(),
            actor=actor,
            approvers=approvers,
            admins=admins,
            details=details,
        )
        services.notifier.publish(notice)
    except Exception as failure:
        _log.error(
            "could not notify %s for request %s: %s", kind.value, node.key, type(failure).__name__
        )


def _ended_undecided(kind: NoticeKind, node: Node) -> bool:
    """Whether `node` ended while its approvers were still asked to review it (a request
    cancelled after its approval, waiting for its start, needed nobody any more)."""
    ended = kind in (NoticeKind.CANCELLED, NoticeKind.TIMED_OUT)
    return ended and not node.props.get("decided_at")


def _approvers(store: GraphStore, node: Node, flow: AccessFlow | None) -> tuple[str, ...]:
    """The addresses of who may review `node` now: the approvers of its current step (the
    escalation tier too once escalated), less the requester, the beneficiary, disabled
    users and whoever approved it already."""
    from broker._lookup import load_flow, requester_of
    from broker.approval import request_plan

    if flow is None:
        flow = load_flow(store, str(node.props.get("flow", "")))
    if flow.auto_approve:
        return ()
    plan = request_plan(store, flow, node, requester_of(store, node))
    done = {edge.src.key for edge in store.edges("APPROVED", dst=node.ref)}
    found = (store.get_node("User", key) for key in sorted(plan.people(store) - done))
    return tuple(str(user.props.get("email") or user.key) for user in found if user is not None)


def _admins(store: GraphStore) -> tuple[str, ...]:
    found = store.find_nodes("User", equals={"role": "admin"})
    return tuple(str(u.props.get("email") or u.key) for u in found if not u.props.get("disabled"))
