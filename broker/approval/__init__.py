"""Approval plans: the matched flow's ordered steps, resolved in the graph (named users,
groups, the requester's manager), any-of or all-of, escalation and a pending time-out."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from broker.approval._index import awaiting, index_ops, new_request_ops
from broker.approval._plan import (
    MANAGER,
    Approvals,
    Need,
    StepPlan,
    manager_of,
    members_of,
    request_plan,
    step_plan,
)
from broker.approval._recipients import (
    admins_to_tell,
    reviewers_left_waiting,
    reviewers_to_tell,
)
from broker.errors import InvalidInput
from graph import IdentityContext

if TYPE_CHECKING:
    from broker.services import Services
    from policies.flows import AccessFlow

__all__ = [
    "MANAGER",
    "Approvals",
    "Need",
    "StepPlan",
    "admins_to_tell",
    "awaiting",
    "index_ops",
    "manager_of",
    "members_of",
    "new_request_ops",
    "open_plan",
    "opening_step",
    "request_plan",
    "reviewers_left_waiting",
    "reviewers_to_tell",
    "step_plan",
]


def open_plan(
    services: Services,
    *,
    flow: AccessFlow,
    requester: IdentityContext,
    beneficiary: IdentityContext,
    now: float,
) -> dict[str, Any]:
    """The AccessRequest props that start `flow`'s plan for a new request.

    Raises InvalidInput, before anything is stored, when some step could never be approved:
    the manager is asked for and the requester has none, or nobody but the requester or the
    beneficiary (who never approve) could approve.
    """
    if flow.auto_approve:
        return {}
    who = requester.node.key
    for index, step in enumerate(flow.steps):
        plan = step_plan(
            services.store,
            flow,
            index,
            requester=requester.node.ref,
            beneficiary=beneficiary.node.key,
            escalated=flow.escalation_minutes > 0,
            manager=requester.manager,
        )
        why = plan.stuck(services.store)
        if why is None:
            continue
        if step.manager and requester.manager is None:
            raise InvalidInput(
                f"flow `{flow.key}` needs the approval of the requester's manager, and `{who}` "
                "has no manager in the directory: ask an admin to record one, or use another flow"
            )
        where = f"step {index + 1} of flow `{flow.key}`" if plan.count > 1 else f"flow `{flow.key}`"
        raise InvalidInput(
            f"no one could ever approve {where} for `{who}`: {why} once the requester, the "
            "beneficiary and disabled users are left out; ask an admin to add approvers"
        )
    return {
        "approval_step": 0,
        "step_started_at": now,
        "escalated": False,
        "pending_until": now + flow.pending_timeout_minutes * 60,
    }


def opening_step(
    services: Services,
    *,
    flow: AccessFlow,
    requester: IdentityContext,
    beneficiary: IdentityContext,
) -> StepPlan:
    """The first step of `flow`'s plan for a new request (not escalated yet)."""
    return step_plan(
        services.store,
        flow,
        0,
        requester=requester.node.ref,
        beneficiary=beneficiary.node.key,
        manager=requester.manager,
    )
