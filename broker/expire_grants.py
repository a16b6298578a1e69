"""Take away every grant whose time is up."""

from __future__ import annotations

from broker._lookup import requester_of
from broker._transitions import transition
from broker.errors import StateConflict
from broker.services import Services
from broker.states import RequestState
from graph import DeleteEdge, NodeRef


def expire_due_grants(services: Services, *, limit: int = 500) -> list[str]:
    """Revoke up to `limit` grants past `expires_at`; returns the requests this call expired.

    A grant another worker expired first is skipped: the compare-and-set picks one winner.
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
        services.provisioner.revoke(request)
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
            )
        except StateConflict:
            continue
        expired.append(request.key)
    return expired
