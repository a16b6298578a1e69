"""Take a grant away before it expires: the grantee gives it back, or an admin revokes it."""

from __future__ import annotations

from broker._grants import end_grant, request_target
from broker._lookup import load_request, require_allowed
from broker.services import Services
from graph import Node


def revoke_grant(services: Services, *, actor: str, request: str, reason: str = "") -> Node:
    """Revoke granted `request` as `actor`, who holds the access or is an admin.

    Raises Forbidden for anyone else (auditors included), StateConflict when the request is
    not GRANTED (revoking twice, or another caller or the expiry won the race), and
    RevokeFailed when the integration refuses; in every case the state is unchanged.
    """
    node = load_request(services.store, request)
    require_allowed(services, actor, "revoke", request_target(services.store, node))
    return end_grant(services, node, actor=actor, reason=reason)
