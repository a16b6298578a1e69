"""Asks the API policies (`policies/api.cedar`) whether a user may do something; refuses
with Forbidden and the policies' reason when not."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from broker.errors import Forbidden
from broker.services import Services
from graph import Node
from policies.api_authz import ApiDecision, Caller, Target


def caller_of(user: Node, groups: frozenset[str] = frozenset()) -> Caller:
    """The caller a graph user node stands for; `groups` matter only to approvals."""
    if user.kind == "ExternalUser":
        return Caller(user.key, "ExternalUser", link=str(user.props.get("link", "")))
    return Caller(user.key, "User", str(user.props.get("role", "")), groups)


def authorize(
    services: Services,
    *,
    user: Node,
    action: str,
    target: Target,
    groups: frozenset[str] = frozenset(),
    context: Mapping[str, Any] | None = None,
) -> ApiDecision:
    """Raise Forbidden, with the reason in words, unless `user` may `action` on `target`."""
    decision = services.authorizer.authorize(caller_of(user, groups), action, target, context)
    if not decision.allowed:
        raise Forbidden(decision.reason)
    return decision
