"""Pending requests nobody decided in time end as TIMED_OUT (a scheduler job)."""

from __future__ import annotations

import logging

from broker._lookup import load_request
from broker.approval import reviewers_left_waiting
from broker.errors import StateConflict
from broker.notify import NoticeKind, announce
from broker.requests._transitions import request_event, transition
from broker.requests.states import RequestState
from broker.services import Services

_log = logging.getLogger(__name__)


def time_out_requests(services: Services, *, limit: int = 500) -> int:
    """Move up to `limit` PENDING requests whose `pending_until` has passed to TIMED_OUT.

    Each move is a compare-and-set on PENDING, so a request approved, rejected or
    cancelled meanwhile (or timed out by another process) is left alone. Returns how many
    this call timed out; the requester hears of each.

    A system job: it acts as the system for no caller, so no API policy is asked.
    """
    now = services.clock()
    due = services.store.find_nodes(
        "AccessRequest",
        equals={"state": RequestState.PENDING.value},
        at_most={"pending_until": now},
        limit=limit,
    )
    ended = 0
    for node in due:
        waited = round((float(node.props["pending_until"]) - float(node.props["created_at"])) / 60)
        reason = f"nobody decided it within {waited} minutes: ask again if you still need it"
        try:
            transition(
                services.store,
                node.key,
                RequestState.PENDING,
                RequestState.TIMED_OUT,
                {"ended_at": now, "reason": reason},
                event=request_event(
                    node,
                    "request.timed_out",
                    at=now,
                    actor="broker",
                    pending_until=float(node.props["pending_until"]),
                ),
            )
        except StateConflict:
            continue  # decided or cancelled after the read: nothing to time out
        ended += 1
        timed_out = load_request(services.store, node.key)
        waiting = reviewers_left_waiting(services.store, timed_out)
        announce(
            services,
            NoticeKind.TIMED_OUT,
            timed_out,
            actor="broker",
            approvers=waiting,
            reason=reason,
        )
    if ended:
        _log.info("timed out %d pending request(s)", ended)
    return ended
