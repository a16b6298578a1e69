"""A person asks for access to a resource; the compiled flows decide."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from broker import audit
from broker._decide import decide_request
from broker._lookup import load_flow, load_identity, load_request
from broker._transitions import request_event, transition
from broker.errors import AccessDenied, InvalidInput, NotFound
from broker.grant_request import grant_request
from broker.notify import NoticeKind, announce
from broker.services import Services
from broker.states import RequestState
from graph import Node, NodeRef, UnknownNode, UpsertEdge, UpsertNode


def request_access(
    services: Services,
    *,
    requester: str,
    resource: str,
    permissions: Sequence[str],
    duration_minutes: int,
    justification: str = "",
    trigger: str = "portal",
) -> Node:
    """Record a request the policies allow, auto-approving when its flow names no approver.

    Raises AccessDenied with the policy engine's explanation when no flow allows it.
    """
    _check_shape(permissions, duration_minutes)
    identity = load_identity(services.store, requester)
    try:
        target = services.store.resource_context(NodeRef("Resource", resource))
    except UnknownNode as missing:
        raise NotFound(f"no resource `{resource}` exists: check its name") from missing
    decision = decide_request(
        services,
        identity,
        target,
        permissions=permissions,
        duration_minutes=duration_minutes,
        justification=justification,
        trigger=trigger,
    )
    asked: dict[str, Any] = {
        "permissions": sorted(set(permissions)),
        "duration_minutes": duration_minutes,
        "justification": justification,
        "trigger": trigger,
    }
    if not decision.allowed:
        audit.append(
            services.store,
            audit.Entry(
                kind="request.denied",
                at=services.clock(),
                actor=requester,
                resource=resource,
                data={
                    **asked,
                    "decision": "deny",
                    "policy_ids": list(decision.policy_ids),
                    "explanation": decision.reason,
                    "errors": list(decision.errors),
                },
            ),
        )
        raise AccessDenied(decision.reason)
    flow = load_flow(services.store, decision.flow_keys[0])
    key = f"req_{uuid.uuid4().hex}"
    ref = NodeRef("AccessRequest", key)
    created_at = services.clock()
    audit.write(
        services.store,
        [
            UpsertNode(
                "AccessRequest",
                key,
                {
                    "requester": requester,
                    "resource": resource,
                    "flow": flow.key,
                    "state": RequestState.PENDING.value,
                    "permissions": sorted(set(permissions)),
                    "duration_minutes": duration_minutes,
                    "justification": justification,
                    "created_at": created_at,
                    "version": 1,
                },
            ),
            UpsertEdge("REQUESTED", identity.node.ref, ref),
            UpsertEdge("FOR", ref, target.node.ref),
            UpsertEdge("MATCHED", ref, NodeRef("AccessFlow", flow.key)),
        ],
        audit.Entry(
            kind="request.created",
            at=created_at,
            actor=requester,
            resource=resource,
            subject=key,
            data={
                **asked,
                "decision": "allow",
                "flow": flow.key,
                "flows": list(decision.flow_keys),
                "policy_ids": list(decision.policy_ids),
            },
        ),
    )
    created = load_request(services.store, key)
    announce(services, NoticeKind.REQUEST_CREATED, created, actor=requester, **asked)
    if flow.auto_approve:
        now = services.clock()
        transition(
            services.store,
            key,
            RequestState.PENDING,
            RequestState.APPROVED,
            {"decided_at": now, "decided_by": "auto-approval"},
            event=request_event(
                load_request(services.store, key),
                "request.approved",
                at=now,
                actor="auto-approval",
                flow=flow.key,
            ),
        )
        announce(
            services,
            NoticeKind.APPROVED,
            load_request(services.store, key),
            actor="auto-approval",
        )
        grant_request(services, request=key)
    return load_request(services.store, key)


def _check_shape(permissions: Sequence[str], duration_minutes: int) -> None:
    if not permissions or any(not p.strip() for p in permissions):
        raise InvalidInput("name at least one permission, e.g. `read`")
    if duration_minutes <= 0:
        raise InvalidInput(f"duration `{duration_minutes}` minutes must be positive")
