"""Read-only views of requests and grants for the portal and the API."""

from __future__ import annotations

from broker._lookup import load_identity, require_allowed
from broker.approval import awaiting
from broker.errors import DomainError
from broker.requests._deciding import approvals, check_can_decide
from broker.requests.states import RequestState
from broker.services import Services
from graph import Node
from policies.api_authz import Target


def my_profile(services: Services, *, viewer: str) -> Node:
    """The signed-in user `viewer`, as they may see themselves."""
    return require_allowed(services, viewer, "viewSelf", Target.user(viewer))


def my_requests(services: Services, *, user: str) -> list[Node]:
    """Every request `user` made or someone made on their behalf, newest first."""
    require_allowed(services, user, "viewSelf", Target.user(user))
    store = services.store
    found = {n.key: n for n in store.find_nodes("AccessRequest", equals={"requester": user})}
    for node in store.find_nodes("AccessRequest", equals={"beneficiary": user}):
        found.setdefault(node.key, node)
    return sorted(found.values(), key=lambda n: float(n.props["created_at"]), reverse=True)


def active_grants(services: Services, *, viewer: str, everyone: bool = False) -> list[Node]:
    """Grants in force now: the viewer's own, or everyone's for admins and auditors.

    A grant past `expires_at` is not in force even before the scheduler has revoked it.
    """
    seeing = ("viewAllGrants", Target.api()) if everyone else ("viewSelf", Target.user(viewer))
    require_allowed(services, viewer, *seeing)
    granted: dict[str, object] = {"state": RequestState.GRANTED.value}
    if everyone:
        found = services.store.find_nodes("AccessRequest", equals=granted)
    else:
        # The access the viewer holds: granted to them, whoever asked for it.
        held = services.store.find_nodes("AccessRequest", equals={**granted, "beneficiary": viewer})
        asked = services.store.find_nodes("AccessRequest", equals={**granted, "requester": viewer})
        found = [*held, *(n for n in asked if not n.props.get("beneficiary"))]
    now = services.clock()
    return [n for n in found if float(n.props.get("expires_at") or 0) > now]


def pending_approvals(services: Services, *, approver: str) -> list[Node]:
    """Pending requests awaiting `approver`'s review now, oldest first.

    Only requests whose current step (or escalation tier, once escalated) counts
    `approver` in, never one they asked for or would receive, nor one they approved
    already (an all-of step waiting for others, or an earlier step).
    """
    require_allowed(services, approver, "viewSelf", Target.user(approver))
    store = services.store
    try:
        reviewer = load_identity(store, approver)
    except DomainError:
        return []
    # Only the requests whose review edges name the approver or one of their groups: a
    # lookup by approver, not a walk over every pending request (broker.approval._index).
    mine = []
    for key in awaiting(store, reviewer):
        node = store.get_node("AccessRequest", key)
        if node is None or node.props.get("state") != RequestState.PENDING.value:
            continue
        if approver in approvals(store, node):
            continue
        try:
            check_can_decide(services, approver=approver, request=node.key)
        except DomainError:
            continue
        mine.append(node)
    return sorted(mine, key=lambda n: (float(n.props.get("created_at") or 0), n.key))
