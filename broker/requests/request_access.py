"""A person asks for access to a resource, for themselves or on someone's behalf; the
compiled flows decide."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from broker import audit
from broker.approval import reviewers_to_tell
from broker.grants._write import announce_granted, complete_grant, provisioned_at_once, record_grant
from broker.notify import NoticeKind, announce
from broker.requests._new_request import Asked, Prepared, asked_of, decide, prepare, refuse
from broker.requests._transitions import Move, move_through, request_event
from broker.requests.states import RequestState
from broker.services import Services
from graph import Node, ResourceContext, WriteOp


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
    InvalidInput for a bad duration or a start in the past, NotFound for unknown names;
    Forbidden, before anything else is read, when the API policies do not let
    `requester` request access (auditors, disabled users).
    """
    asked, target = asked_of(
        services,
        requester=requester,
        resource=resource,
        permissions=permissions,
        duration_minutes=duration_minutes,
        justification=justification,
        trigger=trigger,
        beneficiary=beneficiary,
        starts_at=starts_at,
    )
    return ask_for(services, asked, target)


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
        # Nobody approved a request just made: its first step's reviewers, without a read.
        approvers=reviewers_to_tell(services.store, prepared.first_step, node, approved=()),
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
    then provision and record the grant through `record_grant`, as an approval does.

    The request still passes PENDING -> APPROVED -> GRANTING, each step a compare-and-set
    with its own activity-log event; they commit together, so no reader ever sees a
    half-approved request. Provisioning and GRANTED follow in a second write, because a
    real integration's `grant` must run after GRANTING is durable. Only the graph-only
    provisioner, whose `grant` touches nothing outside the graph, is called first, and
    then `record_grant` makes the approval and the grant one write (which, like every
    grant, fails the request when its beneficiary was disabled meanwhile).
    """
    created, identity = prepared.node, prepared.grantee
    now = services.clock()
    decided: dict[str, object] = {"decided_at": now, "decided_by": "auto-approval"}
    approved = _with(created, decided, RequestState.APPROVED)
    granting = _with(approved, {}, RequestState.GRANTING)
    leading = [
        _approve(created, decided, now),
        Move(
            RequestState.APPROVED,
            RequestState.GRANTING,
            event=request_event(created, "grant.started", at=now, actor="broker"),
        ),
    ]

    def announce_decided() -> None:
        _announce_created(services, prepared)
        announce(services, NoticeKind.APPROVED, approved, actor="auto-approval")

    details = provisioned_at_once(services, granting, integration_seen=prepared.integration_seen)
    if details is None:
        move_through(services.store, created.key, leading, before=before, opening=opening)
        announce_decided()
        return complete_grant(services, granting, identity)
    granted = record_grant(
        services,
        granting,
        identity,
        details=details,
        before=before,
        opening=opening,
        leading=leading,
        written=announce_decided,
        seen=prepared.grantee_seen,
    )
    announce_granted(services, granted)
    return granted
