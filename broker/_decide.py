"""Turns what the graph knows about a request into a policy-engine decision."""

from __future__ import annotations

from collections.abc import Sequence

from broker.services import Services
from graph import IdentityContext, ResourceContext
from policies.engine import Decision
from policies.entities import DecisionRequest, Principal, RequestContext, Resource


def decide_request(
    services: Services,
    identity: IdentityContext,
    target: ResourceContext,
    *,
    permissions: Sequence[str],
    duration_minutes: int,
    justification: str,
    trigger: str,
) -> Decision:
    node = identity.node
    principal = Principal(
        key=node.key,
        email=str(node.props.get("email", node.key)),
        kind=node.kind,
        groups=identity.groups,
        manager=identity.manager,
    )
    resource = Resource(
        key=target.node.key,
        kind=target.node.kind,
        ancestors=tuple((a.kind, a.key) for a in target.ancestors),
        tags=frozenset(target.node.props.get("tags") or ()),
        type=str(target.node.props.get("type") or ""),
    )
    context = RequestContext(
        trigger=trigger,
        permissions=tuple(permissions),
        duration_minutes=duration_minutes,
        justification=justification,
        now=services.clock(),
    )
    return services.engine.decide(DecisionRequest(principal, resource, context))
