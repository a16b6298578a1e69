"""Provision an approved request and record the grant with its expiry."""

from __future__ import annotations

from datetime import UTC, datetime

from broker._lookup import load_request, requester_of
from broker._transitions import request_event, transition
from broker.errors import DomainError
from broker.notify import NoticeKind, announce
from broker.services import Services
from broker.states import RequestState
from graph import NodeRef, UpsertEdge, UpsertNode


class GrantFailed(DomainError):
    code = "grant_failed"


def grant_request(services: Services, *, request: str) -> None:
    """APPROVED -> GRANTING -> GRANTED (or FAILED); `expires_at` counts from the grant."""
    store = services.store
    approved = load_request(store, request)
    transition(
        store,
        request,
        RequestState.APPROVED,
        RequestState.GRANTING,
        event=request_event(approved, "grant.started", at=services.clock(), actor="broker"),
    )
    node = load_request(store, request)
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
    identity = requester_of(store, node)
    resource = NodeRef("Resource", str(node.props["resource"]))
    permissions = list(node.props.get("permissions") or [])
    transition(
        store,
        request,
        RequestState.GRANTING,
        RequestState.GRANTED,
        {"granted_at": granted_at, "expires_at": expires_at},
        also=[
            UpsertNode(
                "Grant",
                request,
                {
                    "request": request,
                    "identity": identity.key,
                    "resource": resource.key,
                    "permissions": permissions,
                    "granted_at": granted_at,
                    "expires_at": expires_at,
                },
            ),
            UpsertEdge("FOR", NodeRef("Grant", request), resource),
            UpsertEdge(
                "HAS_ACCESS",
                identity,
                resource,
                key=request,
                props={
                    "grant": request,
                    "permissions": permissions,
                    "expires_at": expires_at,
                    "standing": False,
                },
            ),
        ],
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
    announce(
        services,
        NoticeKind.GRANTED,
        load_request(store, request),
        actor="broker",
        expires_at=_iso(expires_at),
    )


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, tz=UTC).isoformat(timespec="seconds")
