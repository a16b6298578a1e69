"""Ending what departing users have in flight: their open requests are cancelled, then
the grants they hold are revoked through the integrations. Shared by `disable_user` and
`sync_identities`."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from broker._lookup import beneficiary_of
from broker.approval import reviewers_left_waiting
from broker.errors import StateConflict
from broker.grants._grants import end_all
from broker.notify import NoticeKind, announce
from broker.requests._transitions import request_event, transition
from broker.requests.states import RequestState
from broker.services import Services
from graph import GraphStore, Node

_OPEN = (RequestState.PENDING, RequestState.APPROVED)

# Above this many people, one scan per state is cheaper than two lookups per person.
_SCAN_FROM = 16


@dataclass(frozen=True)
class Offboarded:
    cancelled: tuple[str, ...] = ()
    revoked: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()  # grants the integration did not revoke (still GRANTED)
    stuck: frozenset[str] = frozenset()  # the people who still hold those grants


def offboard(
    services: Services, identities: Collection[str], *, actor: str, reason: str
) -> Offboarded:
    """Cancel every PENDING or APPROVED request asked by or for `identities`, then revoke
    every grant they hold. Cancelling first means nothing they asked for is granted while
    their grants are being revoked. A request someone else moved meanwhile is skipped; a
    grant the integration fails to revoke is reported in `failed`, never raised."""
    if not identities:
        return Offboarded()
    store = services.store
    cancelled = [
        node.key
        for node in requests_of(store, identities, _OPEN)
        if _cancel(services, node, actor=actor, reason=reason)
    ]
    held = [
        node
        for node in requests_of(store, identities, (RequestState.GRANTED,))
        if beneficiary_of(store, node).key in identities
    ]
    revoked, failed = end_all(services, held, actor=actor, reason=reason)
    stuck = frozenset(beneficiary_of(store, n).key for n in held if n.key in failed)
    return Offboarded(tuple(cancelled), tuple(revoked), tuple(failed), stuck)


def requests_of(
    store: GraphStore, identities: Collection[str], states: Iterable[RequestState]
) -> list[Node]:
    """The requests in `states` asked by or for any of `identities`, by key."""
    found: dict[str, Node] = {}
    for state in states:
        if len(identities) >= _SCAN_FROM:
            for node in store.find_nodes("AccessRequest", equals={"state": state.value}):
                if _involves(node, identities):
                    found[node.key] = node
            continue
        for who in identities:
            for field in ("requester", "beneficiary"):
                equals = {"state": state.value, field: who}
                found.update((n.key, n) for n in store.find_nodes("AccessRequest", equals=equals))
    return [found[key] for key in sorted(found)]


def _involves(node: Node, identities: Collection[str]) -> bool:
    return any(node.props.get(field) in identities for field in ("requester", "beneficiary"))


def _cancel(services: Services, node: Node, *, actor: str, reason: str) -> bool:
    """PENDING or APPROVED -> CANCELLED; False when it went further first. An approver who
    wins the race from PENDING leaves it APPROVED for a moment: cancel it from there."""
    for _ in range(2):
        source = RequestState(str(node.props["state"]))
        if source not in _OPEN:
            return False
        if _cancel_from(services, node, source, actor=actor, reason=reason):
            return True
        fresh = services.store.get_node("AccessRequest", node.key)
        if fresh is None:
            return False
        node = fresh
    return False


def _cancel_from(
    services: Services, node: Node, source: RequestState, *, actor: str, reason: str
) -> bool:
    now = services.clock()
    ended = {"ended_at": now, "reason": reason}
    try:
        transition(
            services.store,
            node.key,
            source,
            RequestState.CANCELLED,
            ended,
            event=request_event(
                node, "request.cancelled", at=now, actor=actor, was=source.value, reason=reason
            ),
        )
    except StateConflict:
        return False
    cancelled = Node(node.kind, node.key, {**node.props, **ended, "state": "CANCELLED"})
    waiting = reviewers_left_waiting(services.store, cancelled)
    announce(
        services, NoticeKind.CANCELLED, cancelled, actor=actor, approvers=waiting, reason=reason
    )
    return True
