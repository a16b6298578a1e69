"""Create or replace an access flow: checked, compiled to Cedar, then stored in the graph."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from broker import _text, audit
from broker._lookup import read_definition, requester_of, require_allowed
from broker._text import check_all, check_definition, check_text
from broker.approval import index_ops, request_plan
from broker.errors import InvalidInput
from broker.flows.save_forbid_rule import load_forbid_rules_into_engine
from broker.requests.states import RequestState
from broker.services import Services
from graph import ConflictError, DeleteEdge, NodeRef, SetProps, UpsertEdge, UpsertNode, WriteOp
from policies.api_authz import Target
from policies.flows import AccessFlow, FlowInvalid

_PENDING = RequestState.PENDING.value


def save_access_flow(
    services: Services, *, actor: str, flow: AccessFlow | Mapping[str, Any]
) -> AccessFlow:
    """Save `flow` for admin `actor`; a bad flow raises InvalidInput and changes nothing.

    `flow` may be its definition as the API received it: it is read only once `actor` is
    authorized, so anyone else hears Forbidden whatever they sent."""
    key = flow.key if isinstance(flow, AccessFlow) else str(flow.get("key", ""))
    require_allowed(services, actor, "manageFlows", Target.access_flow(key))
    flow = read_definition(AccessFlow.from_dict, flow)
    _check_texts(flow)
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
    reindex_pending(services, flow)
    return flow


def reindex_pending(services: Services, flow: AccessFlow) -> int:
    """Point the review edges of `flow`'s pending requests at the approvers it names now
    (its steps may have changed); returns how many requests changed. Each write expects the
    request still pending at the same step, so a decision meanwhile wins."""
    store, changed = services.store, 0
    for node in store.find_nodes("AccessRequest", equals={"state": _PENDING, "flow": flow.key}):
        plan = request_plan(store, flow, node, requester_of(store, node))
        ops = index_ops(store, node.ref, plan)
        if not ops:
            continue
        expect = {"state": _PENDING, "approval_step": node.props.get("approval_step")}
        try:
            store.write([SetProps(node.kind, node.key, {}, expect), *ops])
        except ConflictError:
            continue  # decided or moved on meanwhile: that write set its own edges
        changed += 1
    return changed


def _check_texts(flow: AccessFlow) -> None:
    """Bounded, visible text in every field: the definition as a whole, its name, and each
    name it lists (users, groups, resources, permissions, tags...)."""
    check_text("flow key", flow.key, most=_text.KEY)
    check_text("flow name", flow.name, most=_text.NAME)
    check_definition("flow", flow.to_json(), most=_text.DEFINITION)
    for field in fields(flow):
        value = getattr(flow, field.name)
        if isinstance(value, str):
            check_text(f"flow field `{field.name}`", value, most=_text.NAME)
        elif isinstance(value, tuple) and all(isinstance(v, str) for v in value):
            check_all(f"flow field `{field.name}`", value, most=_text.KEY)
    for step in flow.approval_steps:
        check_all(
            "approval step approver", (*step.approvers, *step.approver_groups), most=_text.KEY
        )


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
    for flow in flows:
        if not flow.auto_approve:
            reindex_pending(services, flow)  # requests stored before the review edges
    return len(flows)
