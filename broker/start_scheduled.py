"""Requests approved ahead of a later start are granted when that start comes."""

from __future__ import annotations

import logging

from broker.errors import StateConflict
from broker.grant_request import GrantFailed, grant_request
from broker.services import Services
from broker.states import RequestState
from graph import Node

_log = logging.getLogger(__name__)


def waits_for_start(request: Node, now: float) -> bool:
    """True while `request` asked for a start still to come: it must not be granted yet."""
    starts_at = request.props.get("starts_at")
    return starts_at is not None and float(starts_at) > now


def start_scheduled(services: Services, *, limit: int = 500) -> int:
    """Grant up to `limit` APPROVED requests whose `starts_at` has come; returns how many.

    Safe beside other workers and processes: `grant_request` leaves APPROVED by a
    compare-and-set, so a request another worker (or a cancel) took first is skipped. A
    request whose provisioning fails is recorded FAILED by `grant_request` and not retried.
    """
    due = services.store.find_nodes(
        "AccessRequest",
        equals={"state": RequestState.APPROVED.value},
        at_most={"starts_at": services.clock()},
        limit=limit,
    )
    started = 0
    for request in due:
        try:
            grant_request(services, request=request.key)
        except StateConflict:
            continue  # cancelled, or started by another worker
        except GrantFailed as failed:
            _log.warning("scheduled start of %s failed: %s", request.key, failed)
            continue
        started += 1
    return started
