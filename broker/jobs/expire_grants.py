"""Take away every grant whose time is up; keep retrying a revoke that fails."""

from __future__ import annotations

import logging

from broker._backoff import RetryPolicy
from broker.approval import admins_to_tell
from broker.errors import StateConflict
from broker.grants._write import access_edge
from broker.notify import NoticeKind, announce
from broker.requests._transitions import Move, move_each, move_through, request_event, update_while
from broker.requests.states import RequestState
from broker.services import Services
from graph import DeleteEdge, Node

_log = logging.getLogger(__name__)

REVOKE_RETRY = RetryPolicy(max_attempts=5, base_delay=5.0, max_delay=900.0)
"""Backoff between revoke attempts; after `max_attempts` failures the grant is flagged and
admins are told, and retries go on at `max_delay` at most."""


BATCH = 100
"""Expirations recorded per graph write: one commit (and one activity-log append) for many."""


def expire_due_grants(
    services: Services,
    *,
    limit: int = 500,
    retry: RetryPolicy = REVOKE_RETRY,
    batch: int = BATCH,
) -> list[str]:
    """Revoke up to `limit` grants past `expires_at`; returns the requests this call expired.

    Up to `batch` expirations are recorded in one write, each its own compare-and-set
    GRANTED -> EXPIRED; when any of them lost (another worker expired it first), the batch
    is written again one grant at a time, so the losers are skipped and the rest recorded.
    A failing revoke is recorded on the request and tried again after a backoff.

    A system job: it acts as the system for no caller, so no API policy is asked.
    """
    now = services.clock()
    due = services.store.find_nodes(
        "AccessRequest",
        equals={"state": RequestState.GRANTED.value},
        at_most={"expires_at": now},
        limit=limit,
    )
    ready = [r for r in due if float(r.props.get("revoke_retry_at") or 0) <= now]
    expired: list[str] = []
    for start in range(0, len(ready), max(batch, 1)):
        revoked: list[Node] = []
        for request in ready[start : start + max(batch, 1)]:
            try:
                services.provisioner.revoke(request)
            except Exception as failure:
                _record_failure(services, request, failure, now=now, retry=retry)
                continue
            revoked.append(request)
        for request in _record_expiry(services, revoked, now=now):
            expired.append(request.key)
            ended = {**request.props, "state": RequestState.EXPIRED.value, "ended_at": now}
            announce(services, NoticeKind.EXPIRED, Node(request.kind, request.key, ended))
    return expired


def _record_expiry(services: Services, revoked: list[Node], *, now: float) -> list[Node]:
    """GRANTED -> EXPIRED for every revoked grant; returns those this worker moved."""
    if not revoked:
        return []
    moves = [_expiry(services, request, now=now) for request in revoked]
    if len(moves) > 1:
        # Like ops side by side, so a graph backend can run each sort as one statement.
        try:
            move_each(
                services.store,
                [(request.key, move) for request, (move, _) in zip(revoked, moves, strict=True)],
                also=[edge for _, edge in moves],
            )
            return revoked
        except StateConflict:
            pass  # someone else expired one of them: go one by one
    done: list[Node] = []
    for request, (move, edge) in zip(revoked, moves, strict=True):
        try:
            move_through(services.store, request.key, [move], also=[edge])
        except StateConflict:
            continue
        done.append(request)
    return done


def _expiry(services: Services, request: Node, *, now: float) -> tuple[Move, DeleteEdge]:
    """The move GRANTED -> EXPIRED of `request` and the access edge it takes away."""
    event = request_event(
        request,
        "grant.expired",
        at=now,
        actor="scheduler",
        expires_at=request.props.get("expires_at"),
        revoke_failures=int(request.props.get("revoke_failures") or 0),
    )
    move = Move(
        RequestState.GRANTED,
        RequestState.EXPIRED,
        {"ended_at": now},
        event,
        # Expecting the same `expires_at` too: a grant extended since it was read is not due.
        expect={"expires_at": request.props.get("expires_at")},
    )
    return move, access_edge(services.store, request)


def _record_failure(
    services: Services, request: Node, failure: Exception, *, now: float, retry: RetryPolicy
) -> None:
    """Count the failure, schedule the next try, and flag the grant once it failed too often."""
    before = request.props.get("revoke_failures")
    failures = int(before or 0) + 1
    error = f"{type(failure).__name__}: {failure}"[:500]
    flag = failures >= retry.max_attempts and not request.props.get("revoke_flagged")
    props = {
        "revoke_failures": failures,
        "revoke_retry_at": now + retry.delay(failures),
        "revoke_error": error,
        **({"revoke_flagged": True} if flag else {}),
    }
    kind = "grant.revoke_flagged" if flag else "grant.revoke_failed"
    event = request_event(request, kind, at=now, actor="scheduler", failures=failures, error=error)
    try:
        update_while(
            services.store,
            request.key,
            RequestState.GRANTED,
            props,
            expect={"revoke_failures": before},
            event=event,
        )
    except StateConflict:
        return  # another worker recorded this round, or the grant ended meanwhile
    _log.warning("revoking request %s failed (%d time(s)): %s", request.key, failures, error)
    if flag:
        announce(
            services,
            NoticeKind.FAILED,
            request,
            actor="scheduler",
            admins=admins_to_tell(services.store),
            stage="revoke",
            failures=failures,
            error=error,
        )
