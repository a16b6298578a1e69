"""What every way of asking shares: check the input, decide, and shape the new request.

`request_access`, `request_bundle` and `request_again` all go through `ask` (the checks and
the loads) and `prepare` (the decision and the request as it will be stored); each then
writes in its own way, so a bundle request stores all of its items or none.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, NoReturn

from broker import _text, audit
from broker._lookup import known_flow, load_identity
from broker._text import check_optional, check_text, check_texts
from broker.approval import StepPlan, new_request_ops, open_plan, opening_step
from broker.authorize import authorize
from broker.errors import AccessDenied, InvalidInput, NotFound
from broker.requests._decide import decide_request
from broker.requests.states import RequestState
from broker.services import Services
from graph import (
    GraphStore,
    IdentityContext,
    Node,
    NodeRef,
    ResourceContext,
    UnknownNode,
    UpsertEdge,
    UpsertNode,
    WriteOp,
)
from policies.api_authz import Target
from policies.engine import Decision
from policies.flows import MAX_LEAD_DAYS, AccessFlow

_DAY = 24 * 60 * 60


@dataclass(frozen=True)
class Asked:
    """One request as its requester put it, checked and with its people loaded."""

    requester: IdentityContext
    beneficiary: IdentityContext | None  # None: the requester asks for themselves
    permissions: tuple[str, ...]
    duration_minutes: int | None  # None: the matched flow's default
    justification: str
    trigger: str
    starts_at: float | None  # only a time still to come; None: at once

    @property
    def grantee(self) -> IdentityContext:
        return self.beneficiary or self.requester


@dataclass(frozen=True)
class Prepared:
    """A request the policies allow, not stored yet: its ops, event and what follows."""

    node: Node  # PENDING, as it will be stored
    ops: list[WriteOp]
    event: audit.Entry
    flow: AccessFlow
    grantee: NodeRef  # who gets the access
    target: NodeRef  # what to: a Resource, or a whole Integration
    details: dict[str, Any] = field(default_factory=dict)  # for the notices
    first_step: StepPlan | None = None  # who reviews it first; None: auto-approved
    grantee_seen: Node | None = None  # the grantee as read when asked: spares a read to grant
    # its integration as read with the resource (or the target itself): spares another
    integration_seen: Node | None = None


def ask(
    services: Services,
    *,
    requester: str,
    permissions: Sequence[str],
    duration_minutes: int | None,
    justification: str,
    trigger: str,
    beneficiary: str | None,
    starts_at: float | None,
    requester_kind: str = "User",
    identity: IdentityContext | None = None,
) -> Asked:
    """Check the shape of a request and load its people; raise on bad input.

    A later `starts_at` is bounded by the matched flow's lead time too, once the flow is
    known: `check_lead_time`, after the decision."""
    check_text("justification", justification, most=_text.JUSTIFICATION, multiline=True)
    check_texts(
        "permissions", permissions, most_items=_text.PERMISSIONS, most_each=_text.PERMISSION
    )
    check_text("trigger", trigger, most=_text.KEY)
    check_optional("beneficiary", beneficiary, most=_text.EMAIL)
    if not permissions or any(not p.strip() for p in permissions):
        raise InvalidInput("name at least one permission, e.g. `read`")
    if duration_minutes is not None and duration_minutes <= 0:
        raise InvalidInput(
            f"duration `{duration_minutes}` minutes must be positive: ask for at least 1 "
            "minute, or none for the flow's default"
        )
    now = services.clock()
    if starts_at is not None:
        _check_start(starts_at, now)
    if identity is None:
        identity = load_identity(services.store, requester, kind=requester_kind)
    for_whom = None
    if beneficiary is not None and beneficiary != requester:
        for_whom = load_identity(services.store, beneficiary)
    return Asked(
        requester=identity,
        beneficiary=for_whom,
        permissions=tuple(sorted(set(permissions))),
        duration_minutes=duration_minutes,
        justification=justification,
        trigger=trigger,
        starts_at=starts_at if starts_at is not None and starts_at > now else None,
    )


def _check_start(starts_at: float, now: float) -> None:
    """A start time is a finite time to come, at most MAX_LEAD_DAYS ahead: no flow allows
    more, so a start in the year 9999 is refused before any policy is asked."""
    if not math.isfinite(starts_at):
        raise InvalidInput("the start time is not a time: choose a date and time, or none")
    if starts_at < now:
        raise InvalidInput(
            f"`{iso(starts_at)}` is a start time in the past: choose a later time, "
            "or none to start at once"
        )
    if starts_at - now > MAX_LEAD_DAYS * _DAY:
        raise InvalidInput(
            f"`{iso(starts_at)}` is more than {MAX_LEAD_DAYS} days ahead, further than any "
            "flow allows: choose an earlier start"
        )


def check_lead_time(flow: AccessFlow, starts_at: float | None, now: float) -> None:
    """Raise InvalidInput when `starts_at` is further ahead than `flow`'s `max_lead_days`.

    Checked once the decision named the flow (the flow is known only then), before the
    request is stored: a request decided now must not wait months to be granted."""
    if starts_at is None or starts_at - now <= flow.max_lead_days * _DAY:
        return
    if flow.max_lead_days == 0:
        raise InvalidInput(
            f"flow `{flow.key}` grants access at once only: ask without a start time"
        )
    raise InvalidInput(
        f"`{iso(starts_at)}` is more than {flow.max_lead_days} day(s) ahead, the most flow "
        f"`{flow.key}` allows: choose an earlier start, or ask nearer the time"
    )


def load_target(store: GraphStore, key: str) -> ResourceContext:
    """Resource `key`, else the integration `key` as a whole; NotFound when neither exists."""
    for kind in ("Resource", "Integration"):
        try:
            return store.resource_context(NodeRef(kind, key))
        except UnknownNode:
            continue
    raise NotFound(f"no resource `{key}` exists: check its name")


def decide(services: Services, asked: Asked, target: ResourceContext) -> tuple[Decision, int]:
    """The policies' decision and the duration it was made for.

    A request naming no duration takes its flow's default; the flow is only known after a
    first decision (at the shortest duration, which every flow's maximum allows), so the
    decision that counts is the second one, at that default."""
    if asked.duration_minutes is not None:
        return _decide(services, asked, target, asked.duration_minutes), asked.duration_minutes
    probe = _decide(services, asked, target, 1)
    if not probe.allowed:
        return probe, 1
    minutes = known_flow(services, probe.flow_keys[0]).duration_default
    return _decide(services, asked, target, minutes), minutes


def _decide(services: Services, asked: Asked, target: ResourceContext, minutes: int) -> Decision:
    # A later start is judged at that start: a flow's time window holds when access begins.
    starts_at = asked.starts_at
    judged = services if starts_at is None else replace(services, clock=lambda: starts_at)
    return decide_request(
        judged,
        asked.requester,
        target,
        permissions=asked.permissions,
        duration_minutes=minutes,
        justification=asked.justification,
        trigger=asked.trigger,
        beneficiary=asked.beneficiary,
    )


def denied_event(
    services: Services,
    asked: Asked,
    target: ResourceContext,
    decision: Decision,
    **extra: Any,
) -> audit.Entry:
    """The activity-log entry of a request no flow allows."""
    return audit.Entry(
        kind="request.denied",
        at=services.clock(),
        actor=asked.requester.node.key,
        resource=target.node.key,
        data={
            **_asked_data(asked, asked.duration_minutes),
            **extra,
            "decision": "deny",
            "policy_ids": list(decision.policy_ids),
            "explanation": decision.reason,
            "errors": list(decision.errors),
        },
    )


def refuse(
    services: Services, asked: Asked, target: ResourceContext, decision: Decision
) -> NoReturn:
    """Record the deny and raise it, with the policy engine's explanation."""
    audit.append(services.store, denied_event(services, asked, target, decision))
    raise AccessDenied(decision.reason)


def prepare(
    services: Services,
    asked: Asked,
    target: ResourceContext,
    decision: Decision,
    minutes: int,
    extra: Mapping[str, Any] | None = None,
) -> Prepared:
    """The new PENDING request for an allowed `decision`, with its approval plan.

    `extra` adds props (bundle, batch, previous). Raises InvalidInput when the flow's plan
    names nobody who could ever approve, or the start is further ahead than it allows."""
    flow = known_flow(services, decision.flow_keys[0])
    now = services.clock()
    check_lead_time(flow, asked.starts_at, now)
    key = f"req_{uuid.uuid4().hex}"
    ref = NodeRef("AccessRequest", key)
    grantee = asked.grantee.node
    props: dict[str, Any] = {
        "requester": asked.requester.node.key,
        "beneficiary": grantee.key,
        "beneficiary_kind": grantee.kind,
        "resource": target.node.key,
        "target_kind": target.node.kind,
        "flow": flow.key,
        "state": RequestState.PENDING.value,
        "permissions": list(asked.permissions),
        "duration_minutes": minutes,
        "justification": asked.justification,
        "created_at": now,
        "version": 1,
        **(extra or {}),
    }
    # the request's integration, as read with its target (the target itself, when whole)
    integration = target.node if target.node.kind == "Integration" else target.integration_node
    if integration is not None:
        props["integration"] = integration.key
    if asked.starts_at is not None:
        props["starts_at"] = asked.starts_at
    reviewers: list[WriteOp] = []
    first: StepPlan | None = None
    if not flow.auto_approve:
        who, whom = asked.requester, asked.grantee
        props.update(open_plan(services, flow=flow, requester=who, beneficiary=whom, now=now))
        first = opening_step(services, flow=flow, requester=who, beneficiary=whom)
        reviewers = new_request_ops(services.store, ref, first)
    ops: list[WriteOp] = [
        UpsertNode("AccessRequest", key, props),
        UpsertEdge("REQUESTED", asked.requester.node.ref, ref),
        UpsertEdge("FOR", ref, target.node.ref),
        UpsertEdge("MATCHED", ref, NodeRef("AccessFlow", flow.key)),
        *reviewers,
    ]
    details = _asked_data(asked, minutes)
    event = audit.Entry(
        kind="request.created",
        at=now,
        actor=asked.requester.node.key,
        resource=target.node.key,
        subject=key,
        data={
            **details,
            **(extra or {}),
            "decision": "allow",
            "flow": flow.key,
            "flows": list(decision.flow_keys),
            "policy_ids": list(decision.policy_ids),
        },
    )
    node = Node("AccessRequest", key, props)
    return Prepared(
        node,
        ops,
        event,
        flow,
        grantee.ref,
        target.node.ref,
        details,
        first,
        grantee_seen=grantee,
        integration_seen=integration,
    )


def _asked_data(asked: Asked, minutes: int | None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "permissions": list(asked.permissions),
        "duration_minutes": minutes,
        "justification": asked.justification,
        "trigger": asked.trigger,
    }
    if asked.beneficiary is not None:
        data["beneficiary"] = asked.beneficiary.node.key
    if asked.starts_at is not None:
        data["starts_at"] = asked.starts_at
    return data


def iso(at: float) -> str:
    try:
        return datetime.fromtimestamp(at, tz=UTC).isoformat(timespec="seconds")
    except (ValueError, OverflowError, OSError):  # outside what a datetime holds
        return f"{at:.0f} seconds after 1970"


def asked_of(
    services: Services,
    *,
    requester: str,
    resource: str,
    permissions: Sequence[str],
    duration_minutes: int | None,
    justification: str,
    trigger: str,
    beneficiary: str | None,
    starts_at: float | None,
) -> tuple[Asked, ResourceContext]:
    """What a request for one resource asks and for what, after the checks every such
    request starts with: a request and its preview (`preview_request`) begin here alike,
    so a preview decides exactly what the request would."""
    # The requester is read once, for the API check and for the request: the check still
    # comes before anything else is read.
    identity = load_identity(services.store, requester)
    authorize(services, user=identity.node, action="requestAccess", target=Target.api())
    check_text("resource", resource, most=_text.KEY)
    asked = ask(
        services,
        requester=requester,
        identity=identity,
        permissions=permissions,
        duration_minutes=duration_minutes,
        justification=justification,
        trigger=trigger,
        beneficiary=beneficiary,
        starts_at=starts_at,
    )
    return asked, load_target(services.store, resource)
