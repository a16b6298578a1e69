"""Who is told: the one rule behind every notice's recipients, beyond the requester and the
beneficiary (whom the notice itself names).

Use cases ask here and hand the addresses to `broker.notify.announce`, which only delivers:
a caller that holds the request's plan already passes it, so no notice re-reads the flow
or resolves the plan a second time.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from broker._lookup import load_flow, requester_of
from broker.approval._plan import StepPlan, request_plan
from broker.errors import NotFound
from graph import GraphStore, Node


def reviewers_to_tell(
    store: GraphStore,
    plan: StepPlan | None,
    request: Node,
    *,
    approved: Collection[str] | None = None,
) -> tuple[str, ...]:
    """The addresses of who may review `request` now under `plan` (its current step, the
    escalation tier too once escalated): every enabled user the step counts, less the
    requester, the beneficiary and whoever approved it already; none without a plan.

    `approved` (who approved so far) spares a read when the caller knows it, e.g. () for a
    request being created."""
    if plan is None:
        return ()
    done = set(_approvers(store, request) if approved is None else approved)
    return _addresses(store, sorted(plan.people(store) - done))


def reviewers_left_waiting(store: GraphStore, request: Node) -> tuple[str, ...]:
    """The addresses of who was still asked to review `request`, which has just ended
    (cancelled, timed out) undecided; none for a request decided before it ended (approved
    and waiting for its start needs nobody any more) or whose flow is gone."""
    if request.props.get("decided_at"):
        return ()
    try:
        flow = load_flow(store, str(request.props.get("flow", "")))
    except NotFound:
        return ()
    if flow.auto_approve:
        return ()
    plan = request_plan(store, flow, request, requester_of(store, request))
    return reviewers_to_tell(store, plan, request)


def admins_to_tell(store: GraphStore) -> tuple[str, ...]:
    """The addresses of every enabled admin: who must act when a revoke keeps failing."""
    found = store.find_nodes("User", equals={"role": "admin"})
    return tuple(_address(u) for u in found if not u.props.get("disabled"))


def _approvers(store: GraphStore, request: Node) -> set[str]:
    return {edge.src.key for edge in store.edges("APPROVED", dst=request.ref)}


def _addresses(store: GraphStore, people: Iterable[str]) -> tuple[str, ...]:
    found = (store.get_node("User", key) for key in people)
    return tuple(_address(user) for user in found if user is not None)


def _address(user: Node) -> str:
    return str(user.props.get("email") or user.key)
