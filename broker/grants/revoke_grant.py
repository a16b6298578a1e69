"""Take a grant away before it expires: the grantee gives it back, or an admin revokes it."""

from __future__ import annotations

from broker._guard import request_as
from broker._text import KEY, REASON, check_text
from broker.grants._grants import end_grant
from broker.services import Services
from graph import Node


def revoke_grant(services: Services, *, actor: str, request: str, reason: str = "") -> Node:
    """Revoke granted `request` as `actor`, who holds the access or is an admin.

    Raises Forbidden for anyone else (auditors included), StateConflict when the request is
    not GRANTED (revoking twice, or another caller or the expiry won the race), and
    RevokeFailed when the integration refuses; in every case the state is unchanged. A
    missing request is Forbidden too for anyone but an admin (no existence oracle).
    """
    check_text("request id", request, most=KEY)
    check_text("reason", reason, most=REASON, multiline=True)
    _, node = request_as(services, actor, request, "revoke")
    return end_grant(services, node, actor=actor, reason=reason)
