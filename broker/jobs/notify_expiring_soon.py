"""Warn grantees shortly before their access expires, once per expiry time."""

from __future__ import annotations

from broker import audit
from broker.grants._write import iso_time
from broker.notify import NoticeKind, announce
from broker.requests._transitions import request_event
from broker.requests.states import RequestState
from broker.services import Services
from graph import ConflictError, SetProps

LEAD_MINUTES = 15
"""How long before expiry the grantee hears about it."""


def notify_expiring_soon(
    services: Services, *, lead_minutes: int = LEAD_MINUTES, limit: int | None = None
) -> int:
    """Tell each grantee whose grant expires within `lead_minutes` (and has not yet); returns
    how many were told.

    Each warning is remembered on the request as the `expires_at` it was about, with a
    compare-and-set, so several processes warn once; an extended grant is warned again
    before its new expiry. A grant shorter than the lead time is not warned at all: its
    grantee knew it was short.

    A system job: it acts as the system for no caller, so no API policy is asked.
    """
    now = services.clock()
    lead = lead_minutes * 60
    due = services.store.find_nodes(
        "AccessRequest",
        equals={"state": RequestState.GRANTED.value},
        at_most={"expires_at": now + lead},
        limit=limit,
    )
    told = 0
    for node in due:
        expires_at = float(node.props["expires_at"])
        if expires_at <= now or node.props.get("expiry_warned_for") == expires_at:
            continue
        if float(node.props.get("granted_at") or 0) >= expires_at - lead:
            continue
        cas = SetProps(
            "AccessRequest",
            node.key,
            {"expiry_warned_for": expires_at},
            {
                "state": RequestState.GRANTED.value,
                "expires_at": expires_at,
                "expiry_warned_for": node.props.get("expiry_warned_for"),
            },
        )
        event = request_event(
            node, "grant.expiring_soon", at=now, actor="scheduler", expires_at=expires_at
        )
        try:
            audit.write(services.store, [cas], event)
        except ConflictError:
            continue  # warned by another process, extended or ended meanwhile
        announce(
            services,
            NoticeKind.EXPIRING_SOON,
            node,
            actor="scheduler",
            expires_at=iso_time(expires_at),
        )
        told += 1
    return told
