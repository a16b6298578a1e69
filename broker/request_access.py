"""A person asks for access to a resource, for themselves or on someone's behalf; the
compiled flows decide."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from broker import _text, audit
from broker._new_request import Asked, Prepared, ask, decide, load_target, prepare, refuse
from broker._text import check_text
from broker._transitions import Move, move_through, request_event
from broker.grant_request import announce_granted, complete_grant, grant_ops
from broker.notify import NoticeKind, announce
from broker.secrets import seal
from broker.services import Services, grants_in_graph_only
from broker.states import RequestState
from graph import Node, NodeRef, ResourceContext, WriteOp


def request_access(
    services: Services,
    *,
    requester: str,
    resource: str,
    permissions: Sequence[str],
    duration_minutes: int | None = None,
    justification: str = "",
    trigger: str = "portal",
    beneficiary: str | None = None,
    starts_at: float | None = None,
) -> Node:
    """Record a request the policies allow, auto-approving when its flow names no approver.

    No duration means the matched flow's default. With `beneficiary`, the access goes to that
    user (the flow must allow asking on their behalf). With a future `starts_at`, the request
    is decided now and waits APPROVED until then (`start_scheduled` grants it).
    Raises AccessDenied with the policy engine's explanation when no flow allows it,
    InvalidInput for a bad duration or a start in the past, NotFound for unknown names.
    """
    check_text("resource", resource, most=_text.KEY)
    asked = ask(
        services,
        requester=requester,
        permissions=permissions,
        duration_minutes=duration_minutes,
        justification=justification,
        trigger=trigger,
        beneficiary=beneficiary,
        starts_at=starts_at,
    )
    return ask_for(services, asked, load_target(services.store, resource))


def ask_for(
    services: Services,
    asked: Asked,
    target: ResourceContext,
    extra: Mapping[str, Any] | None = None,
) -> Node:
    """Decide `asked` for `target`, then store it and take it as far as it goes at once."""
    decision, minutes = decide(services, asked, target)
    if not decision.allowed:
        refuse(services, asked, target, decision)
    return submit(services, prepare(services, asked, target, decision, minutes, extra))


def submit(services: Services, prepared: Prepared, *, stored: bool = False) -> Node:
    """Store `prepared` (unless `stored` already) and take it as far as it goes at once:
    PENDING for review, APPROVED until a later start, or granted when auto-approved."""
    created = prepared.node
    if not prepared.flow.auto_approve:
        if not stored:
            audit.write(services.store, prepared.ops, prepared.event)
        _announce_created(services, prepared)
        return created
    before = () if stored else prepared.ops
    opening = () if stored else (prepared.event,)
    if "starts_at" in created.props:
        now = services.clock()
        decided = {"decided_at": now, "decided_by": "auto-approval"}
        move_through(
            services.store,
            created.key,
            [_approve(created, decided, now)],
            before=before,
            opening=opening,
        )
        approved = _with(created, decided, RequestState.APPROVED)
        _announce_created(services, prepared)
        announce(services, NoticeKind.APPROVED, approved, actor="auto-approval")
        return approved
    return _auto_grant(services, prepared, before=before, opening=opening)


def _announce_created(services: Services, prepared: Prepared) -> None:
    node = prepared.node
    announce(
        services,
        NoticeKind.REQUEST_CREATED,
        node,
        actor=str(node.props["requester"]),
        flow=prepared.flow,
        **prepared.details,
    )


def _with(node: Node, props: dict[str, object], state: RequestState) -> Node:
    return Node(node.kind, node.key, {**node.props, **props, "state": state.value})


def _approve(created: Node, decided: dict[str, object], now: float) -> Move:
    return Move(
        RequestState.PENDING,
        RequestState.APPROVED,
        decided,
        request_event(
            created,
            "request.approved",
            at=now,
            actor="auto-approval",
            flow=str(created.props["flow"]),
        ),
    )


def _auto_grant(
    services: Services,
    prepared: Prepared,
    *,
    before: Sequence[WriteOp],
    opening: Sequence[audit.Entry],
) -> Node:
    """Approve and start granting in one write (with the creation, when `before` holds it),
    then provision and record the grant.

    The request still passes PENDING -> APPROVED -> GRANTING, each step a compare-and-set
    with its own activity-log event; they commit together, so no reader ever sees a
    half-approved request. Provisioning and GRANTED follow as `grant_request` does them,
    in a second write, because a real integration's `grant` must run after GRANTING is
    durable. Only the graph-only provisioner, whose `grant` touches nothing outside the
    graph, is called first, and then GRANTED (with the grant) joins the same one write.
    """
    created, identity = prepared.node, prepared.grantee
    now = services.clock()
    decided: dict[str, object] = {"decided_at": now, "decided_by": "auto-approval"}
    approved = _with(created, decided, RequestState.APPROVED)
    granting = _with(approved, {}, RequestState.GRANTING)
    moves = [
        _approve(created, decided, now),
        Move(
            RequestState.APPROVED,
            RequestState.GRANTING,
            event=request_event(created, "grant.started", at=now, actor="broker"),
        ),
    ]
    granted = _granted_at_once(services, granting, identity, prepared.target, now)
    also: Sequence[WriteOp] = ()
    if granted is not None:
        move, also, node = granted
        moves.append(move)
    move_through(services.store, created.key, moves, before=before, opening=opening, also=also)
    _announce_created(services, prepared)
    announce(services, NoticeKind.APPROVED, approved, actor="auto-approval")
    if granted is None:
        return complete_grant(services, granting, identity)
    announce_granted(services, node)
    return node


def _granted_at_once(
    services: Services, granting: Node, identity: NodeRef, target: NodeRef, now: float
) -> tuple[Move, list[WriteOp], Node] | None:
    """GRANTING -> GRANTED when the provisioner grants in the graph only, so its `grant`
    has no effect outside the graph and may run before the write; None otherwise."""
    if not grants_in_graph_only(services.provisioner, granting):
        return None
    try:
        details = services.provisioner.grant(granting)
    except Exception:
        return None  # the two-write path calls it again and records the failure
    expires_at = now + int(granting.props["duration_minutes"]) * 60
    props: dict[str, Any] = {"granted_at": now, "expires_at": expires_at}
    if details:
        props["details"] = seal(json.dumps(dict(details), sort_keys=True))
    move = Move(
        RequestState.GRANTING,
        RequestState.GRANTED,
        props,
        request_event(
            granting,
            "grant.granted",
            at=now,
            actor="broker",
            identity=identity.key,
            permissions=list(granting.props.get("permissions") or []),
            expires_at=expires_at,
            details=sorted(details),  # the names only: the values are secrets
        ),
    )
    node = _with(granting, props, RequestState.GRANTED)
    ops = grant_ops(granting, identity, granted_at=now, expires_at=expires_at, target=target)
    return move, ops, node
