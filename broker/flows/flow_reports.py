"""Reading access flows: the flows, what is wrong with them, their Cedar; forbid rules."""

from __future__ import annotations

from broker._lookup import require_allowed
from broker.errors import NotFound
from broker.requests._reach import finder
from broker.services import Services
from graph import GraphStore, NodeRef, UnknownNode
from graph.analysis import MAX_NESTING
from graph.model import IDENTITIES
from policies.analysis import (
    Finding,
    flows_allowing_nothing,
    flows_counting_someone_twice,
    flows_reaching_excluded,
    shadowed_flows,
)
from policies.api_authz import Target
from policies.engine import UnknownFlow
from policies.flows import AccessFlow
from policies.forbid import ForbidRule
from policies.reach import Below, Finder, Lookout


def access_flows(services: Services, *, viewer: str) -> list[AccessFlow]:
    """Every flow in force, by key."""
    require_allowed(services, viewer, "viewFlows", Target.api())
    return sorted(services.engine.flows.values(), key=lambda f: f.key)


def access_flow(services: Services, *, viewer: str, key: str) -> AccessFlow:
    require_allowed(services, viewer, "viewFlows", Target.access_flow(key))
    flow = services.engine.flows.get(key)
    if flow is None:
        raise NotFound(f"no access flow `{key}` exists: check the key")
    return flow


def forbid_rules(services: Services, *, viewer: str) -> list[ForbidRule]:
    """Every admin-wide forbid rule in force, by key."""
    require_allowed(services, viewer, "viewFlows", Target.api())
    return sorted(services.engine.forbid_rules.values(), key=lambda r: r.key)


def flow_findings(services: Services, *, viewer: str) -> list[Finding]:
    """Flows that allow nothing, then flows another flow shadows, then flows offering a
    container that holds what they exclude or a forbid rule closes (admins only)."""
    require_allowed(services, viewer, "analyzeFlows", Target.api())
    flows = list(services.engine.flows.values())
    groups = {g for f in flows for g in f.requestor_groups}
    users = {u for f in flows for u in f.requestor_users}
    store = services.store
    live_users = {u for u in users if _active_user(store, u)}
    populated = {g for g in groups if _has_members(store, g)}
    nothing = flows_allowing_nothing(flows, populated_groups=populated, users=live_users)
    rules = services.engine.forbid_rules.values()
    reaching = flows_reaching_excluded(flows, rules, lambda target: _below(store, target))
    twice = flows_counting_someone_twice(flows)
    return [*nothing, *shadowed_flows(flows), *reaching, *twice]


def compiled_flow(services: Services, *, viewer: str, key: str) -> str:
    """The Cedar flow `key` compiled to, read-only ("" for a disabled flow)."""
    require_allowed(services, viewer, "analyzeFlows", Target.access_flow(key))
    try:
        return services.engine.compiled_text(key)
    except UnknownFlow as missing:
        raise NotFound(f"no access flow `{key}` exists: check the key") from missing


def _below(store: GraphStore, target: tuple[str, str]) -> Finder:
    """A finder below a flow's target; a target not in the graph holds nothing."""
    find = finder(store, NodeRef(*target))

    def safe(look: Lookout) -> list[Below]:
        try:
            return list(find(look))
        except UnknownNode:
            return []

    return safe


def _active_user(store: GraphStore, key: str) -> bool:
    node = store.get_node("User", key)
    return node is not None and not node.props.get("disabled")


def _has_members(store: GraphStore, group: str) -> bool:
    """True when some identity is in `group`, directly or through nested groups."""
    seen = {group}
    frontier = [group]
    for _ in range(MAX_NESTING + 1):
        nested: list[str] = []
        for key in frontier:
            for edge in store.edges("MEMBER_OF", dst=NodeRef("Group", key)):
                if edge.src.kind in IDENTITIES:
                    return True
                if edge.src.key not in seen:
                    seen.add(edge.src.key)
                    nested.append(edge.src.key)
        if not nested:
            return False
        frontier = nested
    return False
