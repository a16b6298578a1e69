"""Who is asked to review each pending request, kept as APPROVER edges to the request.

`pendingApprovals` used to resolve the plan of every pending request in the graph, per call
(30 s with a few hundred aliases). Each pending request now carries an edge from every user
and group its current step names (the manager as the user they were when the step began,
and the escalation tier once escalated), rewritten in the same write as each step change,
escalation and end. A reviewer's queue starts from their own edges and their groups'
(indexed lookups on both backends); the final say stays with the API policies, per request.
"""

from __future__ import annotations

from collections.abc import Iterable

from broker.approval._plan import StepPlan
from graph import DeleteEdge, GraphStore, IdentityContext, NodeRef, UpsertEdge, WriteOp

KIND = "APPROVER"


def index_ops(store: GraphStore, request: NodeRef, plan: StepPlan | None) -> list[WriteOp]:
    """The writes that make `request`'s APPROVER edges name `plan`'s approvers (none when
    `plan` is None: the request is no longer pending). Users or groups that no longer exist
    are left out: they could not review anyway."""
    have = {edge.src for edge in store.edges(KIND, dst=request)}
    want = set() if plan is None else _existing(store, approver_refs(plan))
    ops: list[WriteOp] = [DeleteEdge(KIND, ref, request) for ref in sorted(have - want, key=_order)]
    ops += [UpsertEdge(KIND, ref, request) for ref in sorted(want - have, key=_order)]
    return ops


def new_request_ops(store: GraphStore, request: NodeRef, plan: StepPlan) -> list[WriteOp]:
    """The APPROVER edges of a request being created (it has none yet)."""
    return [
        UpsertEdge(KIND, ref, request)
        for ref in sorted(_existing(store, approver_refs(plan)), key=_order)
    ]


def approver_refs(plan: StepPlan) -> set[NodeRef]:
    """Everyone `plan` lets review now: named users, the manager and the escalation tier's
    users (as users), approver and escalation groups (as groups)."""
    found = {NodeRef("User", key) for key in plan.users}
    found |= {NodeRef("Group", key) for key in plan.groups}
    return found


def awaiting(store: GraphStore, reviewer: IdentityContext) -> list[str]:
    """The keys of the requests whose APPROVER edges name `reviewer` or a group they are in
    (a superset of what they may decide now: the caller checks each), each once, sorted."""
    sources = [reviewer.node.ref, *(NodeRef("Group", g) for g in sorted(reviewer.groups))]
    return sorted(_targets(store, sources))


def _targets(store: GraphStore, sources: Iterable[NodeRef]) -> set[str]:
    found: set[str] = set()
    for source in sources:
        found.update(
            e.dst.key for e in store.edges(KIND, src=source) if e.dst.kind == "AccessRequest"
        )
    return found


def _existing(store: GraphStore, refs: Iterable[NodeRef]) -> set[NodeRef]:
    return {ref for ref in refs if ref.key and store.get_node(ref.kind, ref.key) is not None}


def _order(ref: NodeRef) -> tuple[str, str]:
    return (ref.kind, ref.key)
