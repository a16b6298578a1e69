"""Provision an approved request and record the grant with its expiry."""

from __future__ import annotations

from datetime import UTC, datetime

from broker._lookup import load_request, requester_of
from broker._transitions import request_event, transition
from broker.errors import DomainError
from broker.notify import NoticeKind, announce
from broker.services import Services
from broker.states import RequestState
from graph import Node, NodeRef, UpsertEdge, UpsertNode, WriteOp


class GrantFailed(DomainError):
    code = "grant_failed"


def grant_request(services: Services, *, request: str) -> Node:
    """APPROVED -> GRANTING -> GRANTED (or FAILED); `expires_at` counts from the grant."""
    approved = load_request(services.store, request)
    transition(
        services.store,
        request,
        RequestState.APPROVED,
        RequestState.GRANTING,
        event=request_event(approved, "grant.started", at=services.clock(), actor="broker"),
    )
    granting = {**approved.props, "state": RequestState.GRANTING.value}
    return complete_grant(services, Node(approved.kind, request, granting))


def complete_grant(services: Services, node: Node, identity: NodeRef | None = None) -> Node:
    """Provision request `node`, which is GRANTING now, and move it to GRANTED or FAILED.

    The provisioner runs between the two writes, so a crash in between leaves the request
    GRANTING (never granted twice): the integration's `grant` is always called after the
    request left APPROVED by a compare-and-set. `identity` saves a read when known.
    """
    store, request = services.store, node.key
    try:
        services.provisioner.grant(node)
    except Exception as failure:
        failed_at = services.clock()
        transition(
            store,
            request,
            RequestState.GRANTING,
            RequestState.FAILED,
            {"ended_at": failed_at, "reason": f"provisioning failed: {failure}"},
            event=request_event(
                node, "grant.failed", at=failed_at, actor="broker", error=str(failure)
            ),
        )
        announce(services, NoticeKind.FAILED, load_request(store, request), actor="broker")
        raise GrantFailed(f"provisioning request `{request}` failed: {failure}") from failure
    granted_at = services.clock()
    expires_at = granted_at + int(node.props["duration_minutes"]) * 60
    identity = identity or requester_of(store, node)
    permissions = list(node.props.get("permissions") or [])
    transition(
        store,
        request,
        RequestState.GRANTING,
        RequestState.GRANTED,
        {"granted_at": granted_at, "expires_at": expires_at},
        also=grant_ops(node, identity, granted_at=granted_at, expires_at=expires_at),
        event=request_event(
            node,
            "grant.granted",
            at=granted_at,
            actor="broker",
            identity=identity.key,
            permissions=permissions,
            expires_at=expires_at,
        ),
    )
    granted = Node(
        node.kind,
        request,
        {
            **node.props,
            "state": RequestState.GRANTED.value,
            "granted_at": granted_at,
            "expires_at": expires_at,
        },
    )
    announce_granted(services, granted)
    return granted


def announce_granted(services: Services, granted: Node) -> None:
    expires_at = float(granted.props["expires_at"])
    announce(services, NoticeKind.GRANTED, granted, actor="broker", expires_at=_iso(expires_at))


def grant_ops(
    request: Node, identity: NodeRef, *, granted_at: float, expires_at: float
) -> list[WriteOp]:
    """The Grant node and the HAS_ACCESS edge that record request `request`'s access."""
    resource = NodeRef("Resource", str(request.props["resource"]))
    permissions = list(request.props.get("permissions") or [])
    return [
        UpsertNode(
            "Grant",
            request.key,
            {
                "request": request.key,
                "identity": identity.key,
                "resource": resource.key,
                "permissions": permissions,
                "granted_at": granted_at,
                "expires_at": expires_at,
            },
        ),
        UpsertEdge("FOR", NodeRef("Grant", request.key), resource),
        UpsertEdge(
            "HAS_ACCESS",
            identity,
            resource,
            key=request.key,
            props={
                "grant": request.key,
                "permissions": permissions,
                "expires_at": expires_at,
                "standing": False,
            },
        ),
    ]


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, tz=UTC).isoformat(timespec="seconds")
