"""Revoke many grants at once: everything one user holds, or everything on one resource."""

from __future__ import annotations

from broker._lookup import load_user
from broker._text import EMAIL, KEY, REASON, check_optional, check_text
from broker.authorize import authorize
from broker.errors import InvalidInput, NotFound
from broker.grants._grants import granted_on, granted_to, request_target, revoke_all
from broker.requests.states import RequestState
from broker.services import Services
from policies.api_authz import Target

_GRANTED = RequestState.GRANTED.value


def revoke_grants(
    services: Services,
    *,
    actor: str,
    identity: str | None = None,
    resource: str | None = None,
    reason: str = "",
) -> list[str]:
    """Revoke every grant `identity` holds, or every grant on `resource`; returns the
    requests revoked. Only admins may, or a user giving back all their own access
    (Forbidden for anyone else, before anything is read). Every grant is authorized
    before any is revoked, so a refusal changes nothing. A grant that ended meanwhile is
    skipped; when an integration fails, the rest are still revoked and RevokeFailed names
    the ones left."""
    # Bulk revoking is an admin's operation, besides giving back all one's own access: asked
    # first, so nobody else learns whether a user or a resource exists, or holds grants (an
    # empty answer told them before).
    user = load_user(services.store, actor)
    if identity != actor:
        authorize(services, user=user, action="revoke", target=Target.api())
    check_optional("user", identity, most=EMAIL)
    check_optional("resource", resource, most=KEY)
    check_text("reason", reason, most=REASON, multiline=True)
    if (identity is None) == (resource is None):
        raise InvalidInput("name either a user or a resource whose grants to revoke")
    _require_exists(services, identity, resource)
    grants = granted_to(services, identity) if identity else granted_on(services, resource or "")
    for node in grants:
        authorize(services, user=user, action="revoke", target=request_target(services.store, node))
    return revoke_all(services, grants, actor=actor, reason=reason)


def _require_exists(services: Services, identity: str | None, resource: str | None) -> None:
    store = services.store
    if identity is not None:
        if store.get_node("User", identity) or store.get_node("ExternalUser", identity):
            return
        raise NotFound(f"no user `{identity}` exists: check the email")
    if store.get_node("Resource", resource or "") or store.get_node("Integration", resource or ""):
        return
    raise NotFound(f"no resource or integration `{resource}` exists: check its name")
