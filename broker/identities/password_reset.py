"""A forgotten password: a single-use link by mail, valid for 30 minutes, that sets a new
password and signs the person out everywhere.

Asking answers the same whether the email is known or not; the link's token (256 random
bits) is stored only as its SHA-256, the PasswordReset node's key.
"""

from __future__ import annotations

import secrets

from broker import _text, audit
from broker.errors import InvalidInput
from broker.identities._digest import secret_digest
from broker.identities.passwords import check_password_rule, hash_password
from broker.identities.sessions import end_sessions_ops, may_sign_in
from broker.notify import Notice, NoticeKind
from broker.services import Services
from graph import ConflictError, Node, SetProps, UpsertNode, WriteOp

LINK_LIFETIME = 30 * 60.0
RESET_PATH = "/reset/"
# One mail per account per this long: asking again and again floods no one's inbox.
_RESEND_AFTER = 60.0
_MAX_TOKEN_LENGTH = 128
_BAD_LINK = "this password reset link is unknown, used or expired: ask for a new one"


def _token_key(token: str) -> str:
    return secret_digest(token)


def request_password_reset(services: Services, *, email: str, client: str) -> None:
    """Mail a reset link to `email` when it is an account that may sign in; say nothing
    either way (the caller answers the same whatever happened here)."""
    email = email.strip()
    _text.check_text("email", email, most=_text.EMAIL)
    store = services.store
    user = store.get_node("User", email) or store.get_node("User", email.lower())
    if user is None or not may_sign_in(user) or _asked_just_now(services, user):
        return
    token = secrets.token_urlsafe(32)
    now = services.clock()
    expires_at = now + LINK_LIFETIME
    props = {"user": user.key, "created_at": now, "expires_at": expires_at}
    entry = audit.Entry(
        kind="user.password_reset_requested",
        at=now,
        actor=user.key,
        subject=user.key,
        data={"client": client[: _text.KEY]},
    )
    audit.write(store, [UpsertNode("PasswordReset", _token_key(token), props)], entry)
    services.notifier.publish(
        Notice(
            kind=NoticeKind.PASSWORD_RESET,
            request="",
            requester=str(user.props.get("email") or user.key),
            resource="",
            state="",
            at=now,
            details={"expires_at": expires_at},
            secret_path=RESET_PATH + token,
        )
    )


def _asked_just_now(services: Services, user: Node) -> bool:
    since = services.clock() - _RESEND_AFTER
    recent = services.store.find_nodes("PasswordReset", equals={"user": user.key})
    return any(float(node.props["created_at"]) > since for node in recent)


def reset_password(services: Services, *, token: str, password: str) -> str:
    """Set the password of the account the reset link `token` was mailed for, end every
    session of it, and use the link up; returns the account. Raises InvalidInput for a
    password too short or too long, or a link that is unknown, used or expired (nothing
    changes then)."""
    check_password_rule(password)
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        raise InvalidInput(_BAD_LINK)
    store = services.store
    key = _token_key(token)
    link = store.get_node("PasswordReset", key)
    now = services.clock()
    if link is None or link.props.get("used_at") is not None:
        raise InvalidInput(_BAD_LINK)
    if now >= float(link.props["expires_at"]):
        raise InvalidInput(_BAD_LINK)
    user = store.get_node("User", str(link.props["user"]))
    if user is None or not may_sign_in(user):
        raise InvalidInput(_BAD_LINK)
    ops: list[WriteOp] = [
        # Single use: of two resets with one link at once, the second finds it used.
        SetProps("PasswordReset", key, {"used_at": now}, {"used_at": None}),
        SetProps("User", user.key, {"password_hash": hash_password(password)}),
    ]
    ops += end_sessions_ops(store, user.key)
    entry = audit.Entry(kind="user.password_reset", at=now, actor=user.key, subject=user.key)
    try:
        audit.write(store, ops, entry)
    except ConflictError:
        raise InvalidInput(_BAD_LINK) from None
    return user.key
