"""An admin disables a user: they can no longer sign in or ask, their open requests are
cancelled and they lose every grant."""

from __future__ import annotations

from broker import _text, audit
from broker._lookup import require_allowed
from broker._text import check_text
from broker.errors import NotFound, StateConflict
from broker.grants._grants import RevokeFailed, failure_message
from broker.identities._offboard import offboard
from broker.identities.sessions import end_sessions_ops
from broker.identities.set_user_role import keep_an_admin
from broker.services import Services
from graph import ConflictError, SetProps, WriteOp
from policies.api_authz import Target


def disable_user(services: Services, *, actor: str, user: str, reason: str = "") -> list[str]:
    """Disable `user`, as an admin, then cancel their PENDING and APPROVED requests (asked
    by them or for them) and revoke every grant they hold; returns the requests revoked.
    Raises StateConflict when the user is disabled already or is the last admin,
    RevokeFailed (after disabling and cancelling) when an integration refused some revokes."""
    require_allowed(services, actor, "manageUsers", Target.user(user))
    return disable_unguarded(services, actor=actor, user=user, reason=reason)


def disable_unguarded(services: Services, *, actor: str, user: str, reason: str = "") -> list[str]:
    """`disable_user` without the API policy, for callers authorized otherwise (a SCIM
    client's token): the same disable, sign-out and cascade, in the same order."""
    check_text("user", user, most=_text.EMAIL)
    check_text("reason", reason, most=_text.REASON, multiline=True)
    store = services.store
    node = store.get_node("User", user)
    if node is None:
        raise NotFound(f"no user `{user}` exists: check the email")
    if node.props.get("disabled"):
        raise StateConflict(f"user `{user}` is disabled already")
    ops: list[WriteOp] = [
        SetProps("User", user, {"disabled": True}, {"disabled": node.props.get("disabled")})
    ]
    ops += end_sessions_ops(store, user)  # signed out at once, in the same write
    if node.props.get("role") == "admin":
        ops += keep_an_admin(store, user, doing=f"disable `{user}`")
    event = audit.Entry(
        kind="user.disabled",
        at=services.clock(),
        actor=actor,
        subject=user,
        data={"reason": reason},
    )
    try:
        audit.write(store, ops, event)
    except ConflictError as lost:
        raise StateConflict(f"`{user}` or the admins changed meanwhile: look again") from lost
    why = reason or f"user `{user}` was disabled"
    done = offboard(services, [user], actor=actor, reason=why)
    if done.failed:
        raise RevokeFailed(failure_message(list(done.revoked), list(done.failed)))
    return list(done.revoked)
