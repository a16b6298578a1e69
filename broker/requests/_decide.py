"""Turns what the graph knows about a request into a policy-engine decision."""

from __future__ import annotations

from collections.abc import Sequence

from broker.errors import InvalidInput
from broker.requests._reach import confined
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
    beneficiary: IdentityContext | None = None,
) -> Decision:
    """Decide `identity` asking for `target` for `beneficiary` (None: for themselves),
    over everything a grant on `target` would reach (`broker.requests._reach`)."""
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
        bundles=frozenset(getattr(target, "bundles", frozenset())),
    )
    for_key, report = _on_behalf(identity, beneficiary)
    context = RequestContext(
        trigger=trigger,
        permissions=tuple(permissions),
        duration_minutes=duration_minutes,
        justification=justification,
        now=services.clock(),
        beneficiary=for_key,
        beneficiary_report=report,
    )
    request = DecisionRequest(principal, resource, context)
    # Cedar judges `target` alone; a grant on it reaches everything below it too.
    return confined(services, request, services.engine.decide(request), target)


def _on_behalf(
    identity: IdentityContext, beneficiary: IdentityContext | None
) -> tuple[str | None, bool]:
    """The beneficiary's key (None when it is the requester) and whether they report
    directly to the requester."""
    if beneficiary is None:
        return None, False
    who, requester = beneficiary.node, identity.node
    if (who.kind, who.key) == (requester.kind, requester.key):
        return None, False
    if who.kind != "User":
        raise InvalidInput(
            f"access can be requested on behalf of users only, not `{who.key}`: "
            "name a user or request for yourself"
        )
    report = requester.kind == "User" and beneficiary.manager == requester.key
    return who.key, report
