"""Provision an approved request and record the grant with its expiry."""

from __future__ import annotations

from broker._lookup import load_request, requester_of
from broker._transitions import transition
from broker.errors import DomainError
from broker.services import Services
from broker.states import RequestState
from graph import NodeRef, UpsertEdge, UpsertNode


class GrantFailed(DomainError):
    code = "grant_failed"


def grant_request(services: Services, *, request: str) -> None:
    """APPROVED -> GRANTING -> GRANTED (or FAILED); `expires_at` counts from the grant."""
    store = services.store
    transition(store, request, RequestState.APPROVED, RequestState.GRANTING)
    node = load_request(store, request)
    try:
        services.provisioner.grant(node)
    except Exception as failure:
        transition(
            store,
            request,
            RequestState.GRANTING,
            RequestState.FAILED,
            {"ended_at": services.clock(), "reason": f"provisioning failed: {failure}"},
        )
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
    )
