"""What every way of asking shares: check the input, decide, and shape the new request.

`request_access`, `request_bundle` and `request_again` all go through `ask` (the checks and
the loads) and `prepare` (the decision and the request as it will be stored); each then
writes in its own way, so a bundle request stores all of its items or none.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, NoReturn

from broker import audit
from broker._decide import decide_request
from broker._lookup import load_flow, load_identity
from broker.approval import open_plan
from broker.errors import AccessDenied, InvalidInput, NotFound
from broker.services import Services
from broker.states import RequestState
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
from policies.engine import Decision
from policies.flows import AccessFlow


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
) -> Asked:
    """Check the shape of a request and load its people; raise on bad input."""
    if not permissions or any(not p.strip() for p in permissions):
        raise InvalidInput("name at least one permission, e.g. `read`")
    if duration_minutes is not None and duration_minutes <= 0:
        raise InvalidInput(
            f"duration `{duration_minutes}` minutes must be positive: ask for at least 1 "
            "minute, or none for the flow's default"
        )
    now = services.clock()
    if starts_at is not None and starts_at < now:
        raise InvalidInput(
            f"`{iso(starts_at)}` is a start time in the past: choose a later time, "
            "or none to start at once"
        )
    identity = load_identity(services.store, requester)
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
    minutes = _flow(services, probe.flow_keys[0]).duration_default
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


def _flow(services: Services, key: str) -> AccessFlow:
    return services.engine.flows.get(key) or load_flow(services.store, key)


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
    names nobody who could ever approve."""
    flow = _flow(services, decision.flow_keys[0])
    key = f"req_{uuid.uuid4().hex}"
    ref = NodeRef("AccessRequest", key)
    now = services.clock()
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
    integration = target.node.key if target.node.kind == "Integration" else target.integration
    if integration is not None:
        props["integration"] = integration
    if asked.starts_at is not None:
        props["starts_at"] = asked.starts_at
    if not flow.auto_approve:
        props.update(
            open_plan(
                services, flow=flow, requester=asked.requester, beneficiary=asked.grantee, now=now
            )
        )
    ops: list[WriteOp] = [
        UpsertNode("AccessRequest", key, props),
        UpsertEdge("REQUESTED", asked.requester.node.ref, ref),
        UpsertEdge("FOR", ref, target.node.ref),
        UpsertEdge("MATCHED", ref, NodeRef("AccessFlow", flow.key)),
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
    return Prepared(node, ops, event, flow, grantee.ref, target.node.ref, details)


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
    return datetime.fromtimestamp(at, tz=UTC).isoformat(timespec="seconds")
