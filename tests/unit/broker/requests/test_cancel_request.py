"""Cancel: only a request not yet granted, only by its requester or an admin, exactly once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial

import pytest

from broker import (
    Forbidden,
    NotFound,
    Services,
    StateConflict,
    approve_request,
    audit,
    reject_request,
)
from broker.demo import DEMO_ADMIN, DEMO_APPROVER, DEMO_GRANTEE
from broker.jobs.start_scheduled import start_scheduled
from broker.notify import NoticeKind
from broker.requests.cancel_request import cancel_request
from broker.requests.request_access import request_access
from graph import Node, NodeRef
from tests.support.clock import ManualClock
from tests.support.notices import KeptNotices
from tests.support.requests_lab import graph_state


def _pending(services: Services, starts_at: float | None = None) -> Node:
    return request_access(
        services,
        requester=DEMO_GRANTEE,
        resource="pg-prod/payments",
        permissions=["read"],
        duration_minutes=60,
        justification="ticket 3",
        starts_at=starts_at,
    )


def _state(services: Services, key: str) -> str:
    node = services.store.get_node("AccessRequest", key)
    assert node is not None
    return str(node.props["state"])


def _access(services: Services) -> list[str]:
    edges = services.store.edges("HAS_ACCESS", src=NodeRef("User", DEMO_GRANTEE))
    return [e.key for e in edges]


def test_the_requester_cancels_a_pending_request_with_an_event_and_a_notice(
    services: Services, clock: ManualClock
) -> None:
    heard = KeptNotices()
    services.notifier = heard
    pending = _pending(services)
    cancelled = cancel_request(services, actor=DEMO_GRANTEE, request=pending.key)
    assert cancelled.props["state"] == "CANCELLED"
    stored = services.store.get_node("AccessRequest", pending.key)
    assert stored is not None and dict(stored.props) == dict(cancelled.props)
    assert stored.props["ended_at"] == clock()
    events = [e for e in audit.read_events(services.store) if e.subject == pending.key]
    assert [e.kind for e in events] == ["request.created", "request.cancelled"]
    assert events[-1].actor == DEMO_GRANTEE and events[-1].data["was"] == "PENDING"
    assert [n.kind for n in heard.notices][-1] is NoticeKind.CANCELLED


def test_an_admin_may_cancel_someone_elses_pending_request(services: Services) -> None:
    pending = _pending(services)
    cancelled = cancel_request(services, actor=DEMO_ADMIN, request=pending.key)
    assert cancelled.props["state"] == "CANCELLED"


def test_anyone_else_may_not_cancel_and_nothing_changes(services: Services) -> None:
    """Even the request's approver: cancelling is the requester's (or an admin's) call."""
    pending = _pending(services)
    before = graph_state(services.store)
    with pytest.raises(Forbidden, match="only admins may cancel someone else's request"):
        cancel_request(services, actor=DEMO_APPROVER, request=pending.key)
    assert graph_state(services.store) == before


def test_cancelling_twice_is_a_conflict_and_changes_nothing(services: Services) -> None:
    pending = _pending(services)
    cancel_request(services, actor=DEMO_GRANTEE, request=pending.key)
    before = graph_state(services.store)
    with pytest.raises(StateConflict, match="is CANCELLED: only a pending request"):
        cancel_request(services, actor=DEMO_GRANTEE, request=pending.key)
    assert graph_state(services.store) == before


def test_a_finished_or_granted_request_cannot_be_cancelled(services: Services) -> None:
    rejected = _pending(services)
    reject_request(services, approver=DEMO_APPROVER, request=rejected.key, reason="no")
    granted = _pending(services)
    approve_request(services, approver=DEMO_APPROVER, request=granted.key)
    before = graph_state(services.store)
    with pytest.raises(StateConflict, match=r"is REJECTED: .* nothing to cancel"):
        cancel_request(services, actor=DEMO_GRANTEE, request=rejected.key)
    with pytest.raises(StateConflict, match=r"is GRANTED: .* revoke the access instead"):
        cancel_request(services, actor=DEMO_GRANTEE, request=granted.key)
    assert graph_state(services.store) == before


def test_an_unknown_request_is_not_found_for_an_admin_and_forbidden_to_others(
    services: Services,
) -> None:
    """Only someone who could cancel any request learns that one does not exist."""
    with pytest.raises(NotFound, match="no access request `req_nope` exists"):
        cancel_request(services, actor=DEMO_ADMIN, request="req_nope")
    with pytest.raises(Forbidden, match="only admins may cancel someone else's request"):
        cancel_request(services, actor=DEMO_GRANTEE, request="req_nope")


def test_an_approved_request_waiting_for_its_start_may_be_cancelled_and_never_starts(
    services: Services, clock: ManualClock
) -> None:
    waiting = _pending(services, starts_at=clock() + 600)
    approve_request(services, approver=DEMO_APPROVER, request=waiting.key)
    assert _state(services, waiting.key) == "APPROVED"
    cancelled = cancel_request(services, actor=DEMO_GRANTEE, request=waiting.key)
    assert cancelled.props["state"] == "CANCELLED"
    clock.advance(600)
    assert start_scheduled(services) == 0
    assert _access(services) == []


def _race(moves: dict[str, Callable[[], object]]) -> dict[str, object]:
    """Run `moves` at once, one thread each: what each returned, or "conflict"."""
    outcomes: dict[str, object] = {}
    barrier = threading.Barrier(len(moves))

    def act(name: str) -> None:
        barrier.wait()
        try:
            outcomes[name] = moves[name]()
        except StateConflict:
            outcomes[name] = "conflict"

    racers = [threading.Thread(target=act, args=(name,)) for name in moves]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()
    return outcomes


def test_concurrent_cancel_and_approve_exactly_one_wins(services: Services) -> None:
    """Threads race a cancel against an approval, several times: one wins each race, the
    other gets a conflict, and a cancelled request never ends up with access."""
    for _ in range(4):
        key = _pending(services).key
        outcomes = _race(
            {
                "cancel": partial(cancel_request, services, actor=DEMO_GRANTEE, request=key),
                "approve": partial(approve_request, services, approver=DEMO_APPROVER, request=key),
            }
        )
        assert sorted(o == "conflict" for o in outcomes.values()) == [False, True], outcomes
        state, has_access = _state(services, key), key in _access(services)
        if outcomes["cancel"] != "conflict":
            assert (state, has_access) == ("CANCELLED", False)
        else:
            assert (state, has_access) == ("GRANTED", True)


def _start_when_due(services: Services, clock: ManualClock) -> int:
    clock.advance(1)
    return start_scheduled(services)


def test_concurrent_cancel_and_scheduled_start_exactly_one_wins(
    services: Services, clock: ManualClock
) -> None:
    """The start comes while the requester cancels: cancelled with no access, or granted
    with the cancel refused; never both."""
    for _ in range(3):
        key = _pending(services, starts_at=clock() + 60).key
        approve_request(services, approver=DEMO_APPROVER, request=key)
        clock.advance(59)
        outcomes = _race(
            {
                "cancel": partial(cancel_request, services, actor=DEMO_GRANTEE, request=key),
                "start": partial(_start_when_due, services, clock),
            }
        )
        state, has_access = _state(services, key), key in _access(services)
        if outcomes["cancel"] != "conflict":
            assert (state, has_access, outcomes["start"]) == ("CANCELLED", False, 0)
        else:
            assert (state, has_access, outcomes["start"]) == ("GRANTED", True, 1)
