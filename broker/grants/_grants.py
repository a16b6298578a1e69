"""Reads and the ending of a grant, shared by revoke, bulk revoke, extend and disable."""

from __future__ import annotations

from broker._lookup import beneficiary_of, requester_of
from broker.errors import DomainError, StateConflict
from broker.grants._write import access_edge
from broker.notify import NoticeKind, announce
from broker.requests._transitions import request_event, transition
from broker.requests.states import RequestState
from broker.services import Services
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


_GRANTED = RequestState.GRANTED.value


def revoke_all(services: Services, grants: list[Node], *, actor: str, reason: str) -> list[str]:
    """End each of `grants` (already authorized); raise RevokeFailed at the end if any failed."""
    revoked, failed = end_all(services, grants, actor=actor, reason=reason)
    if failed:
        raise RevokeFailed(failure_message(revoked, failed))
    return revoked


def end_all(
    services: Services, grants: list[Node], *, actor: str, reason: str
) -> tuple[list[str], list[str]]:
    """End each of `grants` (already authorized); returns the requests revoked and those
    the integration failed to revoke. A grant that ended meanwhile is in neither."""
    revoked: list[str] = []
    failed: list[str] = []
    for node in grants:
        try:
            end_grant(services, node, actor=actor, reason=reason)
        except StateConflict:
            continue  # expired or revoked by someone else meanwhile: nothing left to do
        except RevokeFailed:
            failed.append(node.key)
            continue
        revoked.append(node.key)
    return revoked, failed


def failure_message(revoked: list[str], failed: list[str]) -> str:
    return (
        f"revoked {len(revoked)} grant(s), but the integration failed for "
        f"{', '.join(f'`{k}`' for k in failed)}: try again"
    )


def granted_to(services: Services, identity: str) -> list[Node]:
    """The GRANTED requests whose access `identity` holds (asked by them or for them)."""
    store = services.store
    found = {
        node.key: node
        for field in ("requester", "beneficiary")
        for node in store.find_nodes("AccessRequest", equals={"state": _GRANTED, field: identity})
    }
    return [found[k] for k in sorted(found) if beneficiary_of(store, found[k]).key == identity]


def granted_on(services: Services, resource: str) -> list[Node]:
    return services.store.find_nodes(
        "AccessRequest", equals={"state": _GRANTED, "resource": resource}
    )
