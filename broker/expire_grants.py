"""Take away every grant whose time is up; keep retrying a revoke that fails."""

from __future__ import annotations

import logging

from broker._backoff import RetryPolicy
from broker._lookup import requester_of
from broker._transitions import request_event, transition
from broker.audit import write as audited_write
from broker.errors import StateConflict
from broker.notify import NoticeKind, announce
from broker.services import Services
from broker.states import RequestState
from graph import ConflictError, DeleteEdge, Node, NodeRef, SetProps

_log = logging.getLogger(__name__)

REVOKE_RETRY = RetryPolicy(max_attempts=5, base_delay=5.0, max_delay=900.0)
"""Backoff between revoke attempts; after `max_attempts` failures the grant is flagged and
admins are told, and retries go on at `max_delay` at most."""


def expire_due_grants(
    services: Services, *, limit: int = 500, retry: RetryPolicy = REVOKE_RETRY
) -> list[str]:
    """Revoke up to `limit` grants past `expires_at`; returns the requests this call expired.

    A grant another worker expired first is skipped: the compare-and-set picks one winner.
    A failing revoke is recorded on the request and tried again after a backoff.
    """
    store = services.store
    now = services.clock()
    due = store.find_nodes(
        "AccessRequest",
        equals={"state": RequestState.GRANTED.value},
        at_most={"expires_at": now},
        limit=limit,
    )
    expired: list[str] = []
    for request in due:
        if float(request.props.get("revoke_retry_at") or 0) > now:
            continue  # backing off after a failed revoke
        try:
            services.provisioner.revoke(request)
        except Exception as failure:
            _record_failure(services, request, failure, now=now, retry=retry)
            continue
        edge = DeleteEdge(
            "HAS_ACCESS",
            requester_of(store, request),
            NodeRef("Resource", str(request.props["resource"])),
            key=request.key,
        )
        try:
            transition(
                store,
                request.key,
                RequestState.GRANTED,
                RequestState.EXPIRED,
                {"ended_at": now},
                also=[edge],
                event=request_event(
                    request,
                    "grant.expired",
                    at=now,
                    actor="scheduler",
                    expires_at=request.props.get("expires_at"),
                    revoke_failures=int(request.props.get("revoke_failures") or 0),
                ),
            )
        except StateConflict:
            continue
        expired.append(request.key)
        ended = {**request.props, "state": RequestState.EXPIRED.value, "ended_at": now}
        announce(services, NoticeKind.EXPIRED, Node(request.kind, request.key, ended))
    return expired


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
    cas = SetProps(
        "AccessRequest",
        request.key,
        props,
        {"state": RequestState.GRANTED.value, "revoke_failures": before},
    )
    kind = "grant.revoke_flagged" if flag else "grant.revoke_failed"
    event = request_event(request, kind, at=now, actor="scheduler", failures=failures, error=error)
    try:
        audited_write(services.store, [cas], event)
    except ConflictError:
        return  # another worker recorded this round, or the grant ended meanwhile
    _log.warning("revoking request %s failed (%d time(s)): %s", request.key, failures, error)
    if flag:
        announce(
            services,
            NoticeKind.FAILED,
            request,
            actor="scheduler",
            to_admins=True,
            stage="revoke",
            failures=failures,
            error=error,
        )
