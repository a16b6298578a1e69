"""An approver of the request's current step approves it; when the last step is complete
the request is APPROVED and the grant follows."""

from __future__ import annotations

from broker.approval import Approvals, StepPlan
from broker.errors import StateConflict
from broker.identities.mfa import check_second_factor
from broker.requests._deciding import (
    Decidable,
    announce_outcome,
    approvals,
    check_can_decide,
    groups_of,
    write_approval,
)
from broker.requests._transitions import LostRace
from broker.requests.states import RequestState
from broker.services import Services
from graph import (
    Node,
)

# Concurrent partial approvals of one step retry after losing the compare-and-set.
_ATTEMPTS = 8


def approve_request(
    services: Services,
    *,
    approver: str,
    request: str,
    reason: str = "",
    mfa_code: str | None = None,
) -> Node:
    """Record `approver`'s approval of the current step of pending `request`.

    A flow with `approver_mfa` needs `mfa_code`, a fresh TOTP code of the approver's, checked
    (and used up) once they are known to be an approver and before anything is written;
    without it, or with a wrong or used one, the approval is refused and nothing changes.

    A partial approval (more are needed) keeps the request PENDING; completing a step moves
    it to the next; completing the last approves it and provisions the grant. Raises
    Forbidden for self-approval or a non-approver of the step, InvalidInput for a missing
    reason the flow requires, StateConflict when the request is no longer pending or the
    approver already approved it.
    """
    checked_mfa = False
    for _ in range(_ATTEMPTS):
        found = check_can_decide(services, approver=approver, request=request, reason=reason)
        if found.flow.approver_mfa and not checked_mfa:
            check_second_factor(
                services, user=approver, code=mfa_code, purpose="approval", recovery=False
            )
            checked_mfa = True
        try:
            kind, now, done, after = _record(services, found, approver, reason)
        except LostRace as lost:
            if lost.actual.get("state") != RequestState.PENDING.value:
                state = lost.actual.get("state")
                raise StateConflict(
                    f"request `{request}` is {state} now: someone else decided it first"
                ) from lost
            continue  # another approval of this step came first: count again with it
        return announce_outcome(services, after, found, approver, reason, now, kind, done)
    raise StateConflict(f"request `{request}` kept changing while you approved it: try again")


def _record(
    services: Services, found: Decidable, approver: str, reason: str
) -> tuple[str, float, bool, Node]:
    """One compare-and-set write of the approval: (event kind, when, step complete, the
    request after it);
    raises LostRace when another writer changed the request first."""
    store, node, plan = services.store, found.node, found.plan
    given = approvals(store, node)
    this_step = {p: groups_of(store, p) for p, step in given.items() if step == plan.index}
    if approver in given:
        _refuse_twice(node, plan, approver, given[approver], this_step)
        # Their approval of this step already counts and completes it now (the plan grew
        # since: an escalation tier or a group that includes them), yet nothing completed
        # it then: approving again is asking for exactly that, so it does, adding nothing.
        return write_approval(services, found, approver, reason, done=True, new=False)
    done = plan.complete({**this_step, approver: found.approver.groups})
    return write_approval(services, found, approver, reason, done=done, new=True)


def _refuse_twice(
    node: Node, plan: StepPlan, approver: str, step: int, this_step: Approvals
) -> None:
    """Refuse a second approval from `approver`, who approved step `step` already, unless
    the approvals this step has complete it now. One person counts once per request, and
    the first approval keeps counting for its step (through an escalation too), so a
    second one would add nothing: it is refused rather than ignored, so nobody believes
    they moved the request on when they did not."""
    if step != plan.index:
        raise StateConflict(
            f"you already approved request `{node.key}` (step {step + 1}): one person counts "
            f"once, so step {plan.index + 1} needs someone else"
        )
    if not plan.complete(this_step):
        raise StateConflict(
            f"you already approved request `{node.key}` (step {step + 1}) and that approval "
            "still counts: one person counts once, the step waits for the others it needs"
        )
