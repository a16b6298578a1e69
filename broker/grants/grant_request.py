"""Provision an approved request and record the grant with its expiry (a system step:
the use case that approved, or the scheduler, has authorized it)."""

from __future__ import annotations

from broker._lookup import load_request
from broker.grants._write import announce_granted, complete_grant, provisioned_at_once, record_grant
from broker.requests._transitions import Move, move_through, request_event
from broker.requests.states import RequestState
from broker.services import Services
from graph import Node


def grant_request(services: Services, *, request: str) -> Node:
    """Grant approved request `request` (read from the graph): see `grant_approved`."""
    return grant_approved(services, load_request(services.store, request))


def grant_approved(services: Services, approved: Node) -> Node:
    """APPROVED -> GRANTING -> GRANTED (or FAILED); `expires_at` counts from the grant.
    `approved` is the request as its approval left it.

    A system step: it acts for no caller (the use case that approved has authorized hers,
    or the scheduler starts it), so no API policy is asked. A provisioner that grants in
    the graph only is called first and GRANTING and GRANTED are one write; any other's
    `grant` runs only once GRANTING is durable (see `complete_grant`)."""
    now = services.clock()
    start = Move(
        RequestState.APPROVED,
        RequestState.GRANTING,
        event=request_event(approved, "grant.started", at=now, actor="broker"),
    )
    granting = Node(
        approved.kind, approved.key, {**approved.props, "state": RequestState.GRANTING.value}
    )
    details = provisioned_at_once(services, granting)
    if details is None:
        move_through(services.store, approved.key, [start])
        return complete_grant(services, granting)
    granted = record_grant(services, granting, details=details, leading=[start])
    announce_granted(services, granted)
    return granted
