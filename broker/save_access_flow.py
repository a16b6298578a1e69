"""Create or replace an access flow: checked, compiled to Cedar, then stored in the graph."""

from __future__ import annotations

from broker import audit
from broker._lookup import require_allowed
from broker.errors import InvalidInput
from broker.save_forbid_rule import load_forbid_rules_into_engine
from broker.services import Services
from graph import DeleteEdge, NodeRef, UpsertEdge, UpsertNode, WriteOp
from policies.api_authz import Target
from policies.flows import AccessFlow, FlowInvalid


def save_access_flow(services: Services, *, actor: str, flow: AccessFlow) -> AccessFlow:
    """Save `flow` for admin `actor`; a bad flow raises InvalidInput and changes nothing."""
    require_allowed(services, actor, "manageFlows", Target.access_flow(flow.key))
    try:
        flow.check()
    except FlowInvalid as bad:
        raise InvalidInput(str(bad)) from bad
    links = _links(services, flow)
    previous = services.store.get_node("AccessFlow", flow.key)
    try:
        services.engine.upsert_flow(flow)
    except FlowInvalid as bad:
        raise InvalidInput(str(bad)) from bad
    ref = NodeRef("AccessFlow", flow.key)
    now = services.clock()
    node = UpsertNode(
        "AccessFlow",
        flow.key,
        {
            "name": flow.name,
            "definition": flow.to_json(),
            "enabled": flow.enabled,
            "updated_at": now,
        },
    )
    entry = audit.Entry(
        kind="flow.created" if previous is None else "flow.updated",
        at=now,
        actor=actor,
        subject=flow.key,
        data={"definition": flow.to_json()},
    )
    try:
        audit.write(services.store, [node, *_stale_links(services, ref), *links], entry)
    except Exception:
        # Keep the running policy set in step with what is stored.
        if previous is None:
            services.engine.remove_flow(flow.key)
        else:
            services.engine.upsert_flow(AccessFlow.from_json(str(previous.props["definition"])))
        raise
    return flow


def _links(services: Services, flow: AccessFlow) -> list[WriteOp]:
    """The flow's edges to requestors, targets and approvers; everything it names (the
    people it lets one request for and the escalation tier too) must exist."""
    ref = NodeRef("AccessFlow", flow.key)
    wanted = [
        *(("ALLOWS", NodeRef("User", k), False) for k in flow.requestor_users),
        *(("ALLOWS", NodeRef("Group", k), False) for k in flow.requestor_groups),
        *(("COVERS", NodeRef("Integration", k), False) for k in flow.integrations),
        *(("COVERS", NodeRef("Resource", k), False) for k in flow.resources),
        *(("COVERS", NodeRef("Bundle", k), False) for k in flow.bundles),
        *(("APPROVER", NodeRef("User", k), True) for k in flow.approvers),
        *(("APPROVER", NodeRef("Group", k), True) for k in flow.approver_groups),
    ]
    named_only = [
        *(("on-behalf user", NodeRef("User", k)) for k in flow.on_behalf_users),
        *(("escalation user", NodeRef("User", k)) for k in flow.escalation_users),
        *(("escalation group", NodeRef("Group", k)) for k in flow.escalation_groups),
    ]
    for role, other in named_only:
        _require_exists(services, flow, other, role)
    ops: list[WriteOp] = []
    for kind, other, inbound in wanted:
        _require_exists(services, flow, other, other.kind.lower())
        src, dst = (other, ref) if inbound else (ref, other)
        ops.append(UpsertEdge(kind, src, dst))
    return ops


def _require_exists(services: Services, flow: AccessFlow, ref: NodeRef, role: str) -> None:
    if services.store.get_node(ref.kind, ref.key) is None:
        raise InvalidInput(
            f"flow `{flow.key}` names {role} `{ref.key}`, which does not exist: "
            f"{'create' if ref.kind == 'Bundle' else 'sync'} it first or fix the name"
        )


def _stale_links(services: Services, ref: NodeRef) -> list[WriteOp]:
    store = services.store
    out = [*store.edges("ALLOWS", src=ref), *store.edges("COVERS", src=ref)]
    inbound = store.edges("APPROVER", dst=ref)
    return [DeleteEdge(e.kind, e.src, e.dst, e.key) for e in (*out, *inbound)]


def load_flows_into_engine(services: Services) -> int:
    """At start: hand every stored flow, and every stored forbid rule, to the policy
    engine; returns how many flows."""
    flows = [
        AccessFlow.from_json(str(node.props["definition"]))
        for node in services.store.find_nodes("AccessFlow")
    ]
    services.engine.set_flows(flows)
    load_forbid_rules_into_engine(services)
    return len(flows)
