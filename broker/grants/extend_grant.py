"""Give a grant more time, within its flow's number of extensions and maximum duration (the
grant's whole lifetime, extensions included), and only while that flow still allows the
access (the policies decide again)."""

from __future__ import annotations

import logging
import math

from broker import audit
from broker._guard import request_as
from broker._lookup import beneficiary_of, load_flow, requester_of, target_of
from broker._text import KEY, check_text
from broker.errors import AccessDenied, InvalidInput, StateConflict
from broker.grants._grants import require_granted
from broker.grants._write import iso_time
from broker.notify import NoticeKind, announce
from broker.requests._decide import decide_request
from broker.requests._transitions import request_event
from broker.requests.states import RequestState
from broker.services import Services
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
from policies.engine import Decision
from policies.flows import AccessFlow

_log = logging.getLogger(__name__)


def extend_grant(services: Services, *, actor: str, request: str, minutes: int) -> Node:
    """Move granted `request`'s expiry `minutes` later, as its grantee or an admin.

    A grant's whole lifetime, from its grant to its expiry after every extension, stays
    within the flow's maximum duration (as Vault's `max_ttl` bounds a lease): a grant asked
    for less may be extended up to it, never past it. A grant is extended at most the flow's
    `max_extensions` times. The policies decide again, for the extension's
    minutes: the flow that granted it must still allow the requester (who may have left a
    group) this access, else AccessDenied with the engine's explanation (and a trace in the
    activity log). The request, its Grant node and the HAS_ACCESS edge move together, in
    one compare-and-set write. Raises InvalidInput past a limit, StateConflict when the
    grant ended or changed meanwhile, Forbidden for anyone else.
    """
    store = services.store
    check_text("request id", request, most=KEY)
    _, node = request_as(services, actor, request, "extend")
    require_granted(node, "extended")
    now = services.clock()
    expires_at = float(node.props["expires_at"])
    if expires_at <= now:
        raise StateConflict(f"request `{request}` has expired: request access again")
    done = int(node.props.get("extensions") or 0)
    flow = load_flow(store, str(node.props["flow"]))
    _check_limits(flow, request, minutes, done)
    _check_lifetime(flow, node, minutes, expires_at)
    _decide_again(services, node, flow, minutes=minutes, actor=actor)
    later = expires_at + minutes * 60
    changed = {"expires_at": later, "extensions": done + 1}
    ops: list[WriteOp] = [
        SetProps(
            "AccessRequest",
            request,
            changed,
            {
                "state": RequestState.GRANTED.value,
                "expires_at": node.props["expires_at"],
                "extensions": node.props.get("extensions"),
            },
        ),
        SetProps("Grant", request, changed),
        UpsertEdge(
            "HAS_ACCESS",
            beneficiary_of(store, node),
            target_of(store, node),
            key=request,
            props={"expires_at": later},
        ),
    ]
    event = request_event(
        node, "grant.extended", at=now, actor=actor, minutes=minutes, expires_at=later
    )
    try:
        audit.write(store, ops, event)
    except ConflictError as lost:
        state = lost.actual.get("state")
        raise StateConflict(
            f"request `{request}` changed meanwhile (it is {state} now): look at it again "
            "before extending"
        ) from lost
    extended = Node(node.kind, request, {**node.props, **changed})
    _extend_on_target(services, extended)
    announce(services, NoticeKind.EXTENDED, extended, actor=actor, expires_at=iso_time(later))
    return extended


def _extend_on_target(services: Services, extended: Node) -> None:
    """Tell a provisioner that keeps its own expiry (a PostgreSQL login's VALID UNTIL) the
    new one. The extension is recorded already: a target that refuses is logged, and the
    login then stops taking new sign-ins at the old expiry, never later than the grant."""
    extend = getattr(services.provisioner, "extend", None)
    if not callable(extend):
        return
    try:
        extend(extended)
    except Exception as failed:
        _log.warning("could not extend request %s on its target: %s", extended.key, failed)


def _decide_again(
    services: Services, node: Node, flow: AccessFlow, *, minutes: int, actor: str
) -> None:
    """Raise AccessDenied unless `flow` still allows `node`'s access for `minutes` more.

    Another flow allowing it is not enough: that flow may need an approval this one did not.
    """
    decision = _decision(services, node, flow, minutes)
    if decision.allowed and flow.key in decision.flow_keys:
        return
    reason = decision.reason or (
        f"flow `{flow.key}`, which granted `{node.key}`, no longer allows this access "
        f"(only {', '.join(f'`{k}`' for k in decision.flow_keys)} would): request access again"
    )
    event = request_event(
        node,
        "grant.extension_denied",
        at=services.clock(),
        actor=actor,
        minutes=minutes,
        decision="deny",
        policy_ids=list(decision.policy_ids),
        explanation=reason,
    )
    audit.append(services.store, event)
    raise AccessDenied(reason)


def _decision(services: Services, node: Node, flow: AccessFlow, minutes: int) -> Decision:
    store = services.store
    requester = _identity(store, requester_of(store, node), node.key)
    holder = beneficiary_of(store, node)
    beneficiary = None if holder == requester.node.ref else _identity(store, holder, node.key)
    target = target_of(store, node)
    try:
        context = store.resource_context(target)
    except UnknownNode:
        raise AccessDenied(
            f"`{target.key}`, of request `{node.key}`, no longer exists: nothing can be extended"
        ) from None
    return decide_request(
        services,
        requester,
        context,
        permissions=[str(p) for p in node.props.get("permissions") or []],
        duration_minutes=minutes,
        justification=str(node.props.get("justification") or ""),
        trigger=flow.trigger,
        beneficiary=beneficiary,
    )


def _identity(store: GraphStore, ref: NodeRef, request: str) -> IdentityContext:
    """`ref`'s identity, unless they are gone or disabled: then nothing is extended."""
    try:
        identity = store.identity_context(ref)
    except UnknownNode:
        raise AccessDenied(
            f"`{ref.key}`, of request `{request}`, no longer exists: nothing can be extended"
        ) from None
    if identity.node.props.get("disabled"):
        raise AccessDenied(f"user `{ref.key}`, of request `{request}`, is disabled")
    return identity


def _check_limits(flow: AccessFlow, request: str, minutes: int, done: int) -> None:
    if minutes <= 0:
        raise InvalidInput(f"an extension of `{minutes}` minutes must be positive")
    if not flow.enabled:
        raise InvalidInput(
            f"flow `{flow.key}`, which granted `{request}`, is disabled: it allows no "
            "extensions now; request access again"
        )
    if flow.max_extensions == 0:
        raise InvalidInput(
            f"flow `{flow.key}` allows no extensions: request access again when `{request}` expires"
        )
    if done >= flow.max_extensions:
        raise InvalidInput(
            f"request `{request}` was extended {done} time(s), the most flow `{flow.key}` "
            "allows: request access again when it expires"
        )


def _check_lifetime(flow: AccessFlow, node: Node, minutes: int, expires_at: float) -> None:
    """Refuse an extension that would make the grant live, from its grant to its new expiry,
    longer than `flow`'s maximum duration; say how many minutes are left to extend."""
    left = _minutes_left(flow, node, expires_at)
    if minutes <= left:
        return
    most = flow.max_duration_minutes
    then = f"ask for {left} or less" if left > 0 else "request access again when it expires"
    raise InvalidInput(
        f"an extension of `{minutes}` minutes would make request `{node.key}` last longer "
        f"than flow `{flow.key}`'s maximum of {most} minutes from its grant to its expiry: "
        f"{left} minutes are left to extend; {then}"
    )


def _minutes_left(flow: AccessFlow, node: Node, expires_at: float) -> int:
    """Whole minutes the grant of `node` may still be extended by under `flow`'s maximum
    duration; 0 when none (also when the flow's maximum was lowered since the grant)."""
    # The one grant path (`grant_request.record_grant`) stamps every grant's start.
    latest = float(node.props["granted_at"]) + flow.max_duration_minutes * 60
    return max(0, math.floor((latest - expires_at) / 60))
