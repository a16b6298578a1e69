"""Finish grants a crash interrupted: a request left GRANTING between the two writes."""

from __future__ import annotations

import logging

from broker.errors import StateConflict
from broker.grants._write import GrantFailed, complete_grant
from broker.requests.states import RequestState
from broker.services import Services

_log = logging.getLogger(__name__)

GRACE_SECONDS = 300.0
"""How long a request may sit GRANTING before it counts as interrupted: longer than any
grant call takes (webhook retries included), so a grant in progress is left alone."""


def recover_grants(
    services: Services, *, grace: float = GRACE_SECONDS, limit: int | None = None
) -> int:
    """Call the integration's `grant` again for requests GRANTING longer than `grace`, and
    record the outcome; returns how many ended GRANTED or FAILED.

    Integrations take a repeated grant for the same request as one (the webhook sends the
    request key as idempotency key; a manual task is opened once and keeps waiting for its
    fulfiller, so such a request stays GRANTING and is not counted).

    A system job: it acts as the system for no caller, so no API policy is asked.
    """
    now = services.clock()
    stuck = services.store.find_nodes(
        "AccessRequest", equals={"state": RequestState.GRANTING.value}, limit=limit
    )
    finished = 0
    for node in stuck:
        since = float(node.props.get("decided_at") or node.props.get("created_at") or now)
        if now - since < grace:
            continue
        try:
            done = complete_grant(services, node)
        except GrantFailed:
            finished += 1  # recorded FAILED, with the reason
            continue
        except StateConflict:
            continue  # another process finished it first
        if done.props.get("state") == RequestState.GRANTED.value:
            _log.info("recovered the interrupted grant of request %s", node.key)
            finished += 1
    return finished
