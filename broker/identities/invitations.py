"""Invitations: an admin invites a person by email; the mailed link, used once within
seven days, lets them set a password and so become an ACTIVE user.

The link's token (256 random bits) is never stored: the Invite node is keyed by its
SHA-256, so the graph (or a backup of it) gives no working link away. Resending replaces
the token; revoking removes it. A link that no longer works changes nothing when opened.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from enum import StrEnum

from broker import _text, audit
from broker._lookup import require_allowed
from broker._text import check_text
from broker.errors import Forbidden, InvalidInput, NotFound, StateConflict
from broker.identities._digest import secret_digest
from broker.identities.passwords import hash_password
from broker.identities.users import checked_email, checked_full_name, checked_phone, status_of
from broker.notify import Notice, NoticeKind
from broker.services import Services
from graph import (
    ConflictError,
    DeleteNode,
    GraphStore,
    Node,
    SetProps,
    UnknownNode,
    UpsertNode,
    WriteOp,
)
from policies.api_authz import ROLES, Target

INVITE_LIFETIME = 7 * 24 * 3600.0
INVITE_PATH = "/invite/"
_TOKEN_MAX = 100  # token_urlsafe(32) is 43 characters
_log = logging.getLogger(__name__)


class InviteState(StrEnum):
    OPEN = "open"
    USED = "used"
    EXPIRED = "expired"
    INVALID = "invalid"  # unknown, replaced by a resend, or revoked: told apart to no one


# What a person who opens a link that no longer works is told (the page and the route).
REFUSALS = {
    InviteState.USED: "this invitation was already used: sign in (password or single sign-on)",
    InviteState.EXPIRED: "this invitation has expired: ask your admin to resend it",
    InviteState.INVALID: (
        "this invitation link is not valid (it was replaced or withdrawn, or never existed): "
        "ask your admin to send a new one"
    ),
}


@dataclass(frozen=True)
class InviteLookup:
    state: InviteState
    user: str = ""  # the invited user, for an OPEN invitation only


def invite_user(
    services: Services,
    *,
    actor: str,
    email: str,
    full_name: str,
    role: str,
    phone: str | None = None,
) -> Node:
    """Create `email` as an INVITED user with `role`, as an admin, and mail them a link
    to set their password. Raises StateConflict when the email is a user already."""
    require_allowed(services, actor, "manageUsers", Target.user(email))
    address = checked_email(email)
    name = checked_full_name(full_name)
    if role not in ROLES:
        check_text("role", role, most=_text.KEY)
        raise InvalidInput(f"role `{role}` is unknown: use one of {', '.join(ROLES)}")
    props: dict[str, object] = {
        "email": address,
        "name": name,
        "full_name": name,
        "role": role,
        "status": "INVITED",
        "source": "invite",
        "created_at": services.clock(),
    }
    if phone:
        props["phone"] = checked_phone(phone)
    store = services.store
    if store.get_node("User", address) is not None or store.get_node("User", email) is not None:
        raise StateConflict(
            f"`{address}` is a user already: resend their invitation or change their role"
        )
    token, invite = _new_invite(services, address, actor=actor)
    event = audit.Entry(
        kind="user.invited",
        at=services.clock(),
        actor=actor,
        subject=address,
        data={"role": role, "expires_at": invite.props["expires_at"]},
    )
    audit.write(store, [UpsertNode("User", address, props), invite], event)
    user = Node("User", address, props)
    _mail(services, user, token, invite, actor=actor)
    return user


def resend_invite(services: Services, *, actor: str, email: str) -> Node:
    """Mail `email` a fresh link, as an admin; their earlier link stops working."""
    require_allowed(services, actor, "manageUsers", Target.user(email))
    user = _invited(services.store, email)
    token, invite = _new_invite(services, user.key, actor=actor)
    ops: list[WriteOp] = [*_drop_invites(services.store, user.key), invite]
    event = audit.Entry(
        kind="user.invite_resent",
        at=services.clock(),
        actor=actor,
        subject=user.key,
        data={"expires_at": invite.props["expires_at"]},
    )
    audit.write(services.store, ops, event)
    _mail(services, user, token, invite, actor=actor)
    return user


def revoke_invite(services: Services, *, actor: str, email: str) -> Node:
    """Withdraw `email`'s invitation, as an admin: the link stops working, the user stays
    INVITED (resend to invite again, delete to remove them)."""
    require_allowed(services, actor, "manageUsers", Target.user(email))
    user = _invited(services.store, email)
    ops = _drop_invites(services.store, user.key)
    if not ops:
        raise StateConflict(f"`{user.key}` has no invitation to revoke: resend one")
    event = audit.Entry(
        kind="user.invite_revoked", at=services.clock(), actor=actor, subject=user.key
    )
    audit.write(services.store, ops, event)
    return user


def look_up_invite(services: Services, token: str) -> InviteLookup:
    """What the link with `token` is now; reads only."""
    if not token or len(token) > _TOKEN_MAX or not token.isascii():
        return InviteLookup(InviteState.INVALID)
    invite = services.store.get_node("Invite", token_hash(token))
    if invite is None:
        return InviteLookup(InviteState.INVALID)
    if invite.props.get("used_at") is not None:
        return InviteLookup(InviteState.USED)
    if services.clock() >= float(invite.props["expires_at"]):
        return InviteLookup(InviteState.EXPIRED)
    return InviteLookup(InviteState.OPEN, str(invite.props["user"]))


def accept_invite(services: Services, *, token: str, password: str) -> Node:
    """Set the invited person's password and make them ACTIVE, with the invitation used, in
    one compare-and-set write; returns the user. A link that no longer works raises
    NotFound (invalid), StateConflict (used, or used meanwhile) or Forbidden (expired), a
    password that breaks the rule InvalidInput; nothing changes then."""
    found = look_up_invite(services, token)
    if found.state is InviteState.INVALID:
        raise NotFound(REFUSALS[found.state])
    if found.state is InviteState.USED:
        raise StateConflict(REFUSALS[found.state])
    if found.state is InviteState.EXPIRED:
        raise Forbidden(REFUSALS[found.state])
    password_hash = hash_password(password)
    store = services.store
    user = store.get_node("User", found.user)
    if user is not None and user.props.get("disabled"):
        raise Forbidden(f"the account `{user.key}` is disabled: ask your admin")
    if user is None or status_of(user) != "INVITED":
        raise StateConflict(f"`{found.user}` is no longer waiting for this invitation: sign in")
    now = services.clock()
    key = token_hash(token)
    ops = [
        SetProps(
            "User",
            user.key,
            {"password_hash": password_hash, "status": "ACTIVE"},
            {"status": "INVITED", "disabled": user.props.get("disabled")},
        ),
        SetProps("Invite", key, {"used_at": now}, {"used_at": None}),
    ]
    event = audit.Entry(kind="user.invite_accepted", at=now, actor=user.key, subject=user.key)
    try:
        audit.write(store, ops, event)
    except (ConflictError, UnknownNode) as lost:
        raise StateConflict(REFUSALS[InviteState.USED]) from lost
    return Node("User", user.key, {**user.props, "status": "ACTIVE"})


def token_hash(token: str) -> str:
    return secret_digest(token)


def _new_invite(services: Services, user: str, *, actor: str) -> tuple[str, UpsertNode]:
    token = secrets.token_urlsafe(32)
    now = services.clock()
    props = {
        "user": user,
        "invited_by": actor,
        "created_at": now,
        "expires_at": now + INVITE_LIFETIME,
    }
    return token, UpsertNode("Invite", token_hash(token), props)


def _invited(store: GraphStore, email: str) -> Node:
    check_text("email", email, most=_text.EMAIL)
    user = store.get_node("User", email)
    if user is None:
        raise NotFound(f"no user `{email}` exists: invite them")
    if status_of(user) != "INVITED":
        raise StateConflict(f"`{email}` is {status_of(user)}, not waiting for an invitation")
    return user


def spend_invites_ops(store: GraphStore, user: str, *, now: float) -> list[SetProps]:
    """Ops marking `user`'s open invitations used, for the write that activates the account
    another way (single sign-on): each compares-and-sets `used_at`, so a link accepted
    meanwhile makes that write fail rather than be used twice."""
    found = store.find_nodes("Invite", equals={"user": user})
    return [
        SetProps("Invite", n.key, {"used_at": now}, {"used_at": None})
        for n in found
        if n.props.get("used_at") is None
    ]


def _drop_invites(store: GraphStore, user: str) -> list[DeleteNode]:
    """Ops removing `user`'s unused invitations (used ones stay: their link says so)."""
    found = store.find_nodes("Invite", equals={"user": user})
    return [DeleteNode("Invite", n.key) for n in found if n.props.get("used_at") is None]


def _mail(services: Services, user: Node, token: str, invite: UpsertNode, *, actor: str) -> None:
    """Hand the invitation mail to the notifier; a failure is logged, never raised (the
    admin can resend)."""
    notice = Notice(
        kind=NoticeKind.INVITED,
        request="",
        requester=user.key,
        resource="",
        state="INVITED",
        at=services.clock(),
        actor=actor,
        details={
            "full_name": str(user.props.get("full_name", "")),
            "role": str(user.props.get("role", "")),
            "expires_at": invite.props["expires_at"],
        },
        secret_path=INVITE_PATH + token,
    )
    try:
        services.notifier.publish(notice)
    except Exception as failure:
        _log.error("could not mail the invitation to %s: %s", user.key, type(failure).__name__)
