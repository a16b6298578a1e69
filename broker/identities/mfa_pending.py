"""A sign-in waiting for its second factor: the password was right, a code is still due.

The browser holds a token (256 random bits, in a short-lived cookie); the graph holds only
its SHA-256 as an MfaChallenge node's key. It is good for five minutes and for one
completed sign-in (`broker.identities.mfa_sign_in` uses it up).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from broker import _text
from broker.errors import Unauthenticated
from broker.identities._digest import secret_digest
from broker.services import Services
from graph import Node, UpsertNode

PENDING_LIFETIME = 5 * 60.0
_MAX_TOKEN_LENGTH = 128
STALE = (
    "the sign-in waiting for a code is unknown, used or expired (it lasts 5 minutes): "
    "sign in with your password again"
)


@dataclass(frozen=True)
class PendingSecondFactor:
    token: str  # shown once, to the browser; stored only hashed
    expires_at: float


def challenge_key(token: str) -> str:
    return secret_digest(token)


def begin_second_factor(services: Services, *, user: str, client: str) -> PendingSecondFactor:
    """A pending sign-in for `user`, whose password was right, from `client`."""
    token = secrets.token_urlsafe(32)
    now = services.clock()
    expires_at = now + PENDING_LIFETIME
    props = {
        "user": user,
        "created_at": now,
        "expires_at": expires_at,
        "client": client[: _text.KEY],
    }
    services.store.write([UpsertNode("MfaChallenge", challenge_key(token), props)])
    return PendingSecondFactor(token, expires_at)


def live_challenge(services: Services, token: str) -> Node:
    """The unused, unexpired MfaChallenge behind `token`; raise Unauthenticated if none."""
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        raise Unauthenticated(STALE)
    found = services.store.get_node("MfaChallenge", challenge_key(token))
    if found is None or found.props.get("used_at") is not None:
        raise Unauthenticated(STALE)
    if services.clock() >= float(found.props["expires_at"]):
        raise Unauthenticated(STALE)
    return found
