"""Reads and the ending of a grant, shared by revoke, bulk revoke, extend and disable."""

from __future__ import annotations

from broker._lookup import beneficiary_of, requester_of
from broker._transitions import request_event, transition
from broker.errors import DomainError, StateConflict
from broker.grant_request import access_edge
from broker.notify import NoticeKind, announce
from broker.services import Services
from broker.states import RequestState
from graph import GraphStore, Node
from policies.api_authz import Target


class RevokeFailed(DomainError):
    """The integration did not revoke; the grant is unchanged (and expires as planned)."""

    code = "revoke_failed"


def request_target(store: GraphStore, node: Node) -> Target:
    """The API-authorization target for request `node`: who asked and who holds the access."""
    requester = requester_of(store, node)
    beneficiary = beneficiary_of(store, node)
    return Target.access_request(
        node.key,
        requester=requester.key if requester.kind == "User" else None,
        flow=str(node.props.get("flow", "")),
        beneficiary=(
            beneficiary.key if beneficiary != requester and beneficiary.kind == "User" else None
        ),
    )


def require_granted(node: Node, doing: str) -> None:
    state = str(node.props.get("state", ""))
    if state != RequestState.GRANTED.value:
        raise StateConflict(
            f"request `{node.key}` is {state}: only a GRANTED request can be {doing}"
        )


def end_grant(services: Services, node: Node, *, actor: str, reason: str = "") -> Node:
    """Revoke granted request `node` in its integration, then GRANTED -> REVOKED with the
    HAS_ACCESS edge removed. The integration goes first: when it fails nothing changes
    (RevokeFailed); when another caller ended the grant meanwhile, StateConflict (the
    integration's revoke is idempotent, so the second call did no harm)."""
    require_granted(node, "revoked")
    try:
        services.provisioner.revoke(node)
    except Exception as failure:
        raise RevokeFailed(
            f"revoking request `{node.key}` failed: {failure}; nothing changed: try again "
            "(the scheduler still revokes it at expiry)"
        ) from failure
    now = services.clock()
    props = {"ended_at": now, "revoked_by": actor, "reason": reason}
    transition(
        services.store,
        node.key,
        RequestState.GRANTED,
        RequestState.REVOKED,
        props,
        also=[access_edge(services.store, node)],
        event=request_event(node, "grant.revoked", at=now, actor=actor, reason=reason),
    )
    revoked = Node(node.kind, node.key, {**node.props, **props, "state": "REVOKED"})
    announce(services, NoticeKind.REVOKED, revoked, actor=actor, reason=reason)
    return revoked
