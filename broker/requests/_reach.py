"""A grant reaches everything below what it names: the graph's side of `policies.reach`.

Every decision on a request (new, bundled, again, extended, started later) goes through
`broker.requests._decide.decide_request`, which hands its allowed decisions here, so a container
is never granted over a resource its flow excludes or a forbid rule closes.
"""

from __future__ import annotations

from broker.flows._bundle_tree import bundle_tree
from broker.services import Services
from graph import GraphStore, NodeRef, ResourceContext
from policies.engine import Decision
from policies.entities import DecisionRequest
from policies.reach import MOST_NAMED, Below, Finder, Lookout, confine


def confined(
    services: Services, request: DecisionRequest, decision: Decision, target: ResourceContext
) -> Decision:
    """`decision` on `target`, denied when the grant would reach a resource below it that
    the matched flow excludes or a forbid rule closes now (see `policies.reach`)."""
    if not decision.allowed:
        return decision
    engine = services.engine
    find = finder(services.store, target.node.ref)
    return confine(decision, request, engine.flows, engine.forbid_rules, find)


def finder(store: GraphStore, container: NodeRef) -> Finder:
    """Looks below `container` in the graph for what a `Lookout` names (raises UnknownNode
    when the container is gone)."""

    def find(look: Lookout) -> list[Below]:
        covered = {bundle: _covered(store, bundle) for bundle in sorted(look.bundles)}
        keys = look.keys.union(*covered.values())
        found = store.resources_below(container, keys=keys, tags=look.tags, limit=MOST_NAMED)
        return [
            Below(
                node.key,
                frozenset(node.props.get("tags") or ()),
                frozenset(b for b, held in covered.items() if node.key in held),
            )
            for node in found
        ]

    return find


def _covered(store: GraphStore, bundle: str) -> frozenset[str]:
    """The keys of the resources `bundle` covers, through nested bundles (a forbid rule
    naming it closes them, and what lies below them, found by key)."""
    return frozenset(ref.key for ref in bundle_tree(store, bundle).items if ref.kind == "Resource")
