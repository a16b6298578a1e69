"""A person asks for access to a resource; the compiled flows decide."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from broker import audit
from broker._decide import decide_request
from broker._lookup import load_flow, load_identity, load_request
from broker._transitions import Move, move_through, request_event
from broker.errors import AccessDenied, InvalidInput, NotFound
from broker.grant_request import announce_granted, complete_grant, grant_ops
from broker.notify import NoticeKind, announce
from broker.services import GraphOnlyProvisioner, Services
from broker.states import RequestState
from graph import Node, NodeRef, UnknownNode, UpsertEdge, UpsertNode, WriteOp
from policies.flows import AccessFlow


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
    props: dict[str, Any] = {
        "requester": requester,
        "resource": resource,
        "flow": flow.key,
        "state": RequestState.PENDING.value,
        "permissions": sorted(set(permissions)),
        "duration_minutes": duration_minutes,
        "justification": justification,
        "created_at": created_at,
        "version": 1,
    }
    create: list[WriteOp] = [
        UpsertNode("AccessRequest", key, props),
        UpsertEdge("REQUESTED", identity.node.ref, ref),
        UpsertEdge("FOR", ref, target.node.ref),
        UpsertEdge("MATCHED", ref, NodeRef("AccessFlow", flow.key)),
    ]
    created_event = audit.Entry(
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
    )
    created = Node("AccessRequest", key, props)
    if not flow.auto_approve:
        audit.write(services.store, create, created_event)
        announce(services, NoticeKind.REQUEST_CREATED, created, actor=requester, flow=flow, **asked)
        return load_request(services.store, key)
    return _auto_grant(services, created, create, created_event, identity.node.ref, asked, flow)


def _auto_grant(
    services: Services,
    created: Node,
    create: Sequence[WriteOp],
    created_event: audit.Entry,
    identity: NodeRef,
    asked: dict[str, Any],
    flow: AccessFlow,
) -> Node:
    """Create, approve and start granting in one write, then provision and record the grant.

    The request still passes PENDING -> APPROVED -> GRANTING, each step a compare-and-set
    with its own activity-log event; they commit together, so no reader ever sees a
    half-approved request. Provisioning and GRANTED follow as `grant_request` does them,
    in a second write, because a real integration's `grant` must run after GRANTING is
    durable. Only the graph-only provisioner, whose `grant` touches nothing outside the
    graph, is called first, and then GRANTED (with the grant) joins the same one write.
    """
    now = services.clock()
    decided = {"decided_at": now, "decided_by": "auto-approval"}
    approved = Node(
        created.kind,
        created.key,
        {**created.props, **decided, "state": RequestState.APPROVED.value},
    )
    granting = Node(
        created.kind, created.key, {**approved.props, "state": RequestState.GRANTING.value}
    )
    moves = [
        Move(
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
        ),
        Move(
            RequestState.APPROVED,
            RequestState.GRANTING,
            event=request_event(created, "grant.started", at=now, actor="broker"),
        ),
    ]
    granted = _granted_at_once(services, granting, identity, now)
    if granted is not None:
        move, also, node = granted
        move_through(
            services.store,
            created.key,
            [*moves, move],
            before=create,
            opening=[created_event],
            also=also,
        )
    else:
        move_through(services.store, created.key, moves, before=create, opening=[created_event])
    requester = str(created.props["requester"])
    announce(services, NoticeKind.REQUEST_CREATED, created, actor=requester, flow=flow, **asked)
    announce(services, NoticeKind.APPROVED, approved, actor="auto-approval")
    if granted is None:
        return complete_grant(services, granting, identity)
    announce_granted(services, node)
    return node


def _granted_at_once(
    services: Services, granting: Node, identity: NodeRef, now: float
) -> tuple[Move, list[WriteOp], Node] | None:
    """GRANTING -> GRANTED for the graph-only provisioner, whose `grant` has no effect
    outside the graph and so may run before the write; None for any other provisioner."""
    if type(services.provisioner) is not GraphOnlyProvisioner:
        return None
    try:
        services.provisioner.grant(granting)
    except Exception:
        return None  # the two-write path calls it again and records the failure
    expires_at = now + int(granting.props["duration_minutes"]) * 60
    props = {"granted_at": now, "expires_at": expires_at}
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
        ),
    )
    node = Node(
        granting.kind,
        granting.key,
        {**granting.props, **props, "state": RequestState.GRANTED.value},
    )
    return move, grant_ops(granting, identity, granted_at=now, expires_at=expires_at), node


def _check_shape(permissions: Sequence[str], duration_minutes: int) -> None:
    if not permissions or any(not p.strip() for p in permissions):
        raise InvalidInput("name at least one permission, e.g. `read`")
    if duration_minutes <= 0:
        raise InvalidInput(f"duration `{duration_minutes}` minutes must be positive")
