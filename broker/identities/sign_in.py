"""Signing in with an email and a password: a new session, or one answer for every
failure, and a throttle on guessing.

An unknown email, a wrong password and an account without a password all answer the same
`SignInRefused`, after the same argon2 work (`password_matches` checks a decoy hash when
there is no stored one). Failures are counted in the graph per account and per client
address, so the limits hold across restarts and across processes on one Neo4j.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from broker import _text, audit
from broker.errors import DomainError, Forbidden, Unauthenticated
from broker.identities.mfa_codes import mfa_enrolled
from broker.identities.mfa_pending import PendingSecondFactor, begin_second_factor
from broker.identities.passwords import hash_password, needs_rehash, password_matches
from broker.identities.sessions import StartedSession, may_sign_in, start_session
from broker.services import Services
from graph import ConflictError, DeleteNode, GraphStore, Node, SetProps, UpsertNode

WRONG = "the email or the password is wrong: check both, or reset the password"


@dataclass(frozen=True)
class ThrottleRule:
    limit: int
    window_seconds: float


ACCOUNT_RULE = ThrottleRule(limit=5, window_seconds=15 * 60.0)
ADDRESS_RULE = ThrottleRule(limit=20, window_seconds=15 * 60.0)


class SignInRefused(Unauthenticated):
    """Wrong email or password (which one is never said)."""


class SignInThrottled(DomainError):
    """Too many failed sign-ins for this account or from this address."""

    code = "rate_limited"

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def sign_in(
    services: Services, *, email: str, password: str, client: str
) -> StartedSession | PendingSecondFactor:
    """A new session for the person whose `email` and `password` these are, signing in
    from `client` (their address); for an account with MFA, a pending sign-in that a code
    completes (broker.identities.mfa_sign_in) instead. Raises SignInThrottled when the
    account or address has failed too often lately, SignInRefused for a wrong email or
    password, Forbidden for an account that is disabled or not set up yet (told only to
    someone who knows its password)."""
    email = email.strip()
    _text.check_text("email", email, most=_text.EMAIL)
    client = client[: _text.KEY]
    store = services.store
    keys = [(_account_key(email), ACCOUNT_RULE), (_address_key(client), ADDRESS_RULE)]
    now = services.clock()
    wait = throttle_wait(store, keys, now)
    if wait is not None:
        raise SignInThrottled(
            f"too many failed sign-ins for this account or from this address: try again "
            f"in {max(1, round(wait / 60))} minutes, or reset the password",
            retry_after=wait,
        )
    user = _find_user(store, email)
    stored = user.props.get("password_hash") if user is not None else None
    if not password_matches(str(stored) if stored else None, password) or user is None:
        reason = "unknown_account" if user is None else "wrong_password"
        if user is not None and not stored:
            reason = "no_password"
        _fail(services, email, client, reason, keys)
        raise SignInRefused(WRONG)
    if not may_sign_in(user):
        _fail(services, email, client, "not_active", keys)
        raise Forbidden(
            f"the account `{user.key}` is disabled or its invitation is not accepted yet: "
            "ask an admin"
        )
    forgive(store, keys[0][0])  # the owner got in: their account's count starts over
    if needs_rehash(str(stored)):
        store.write([SetProps("User", user.key, {"password_hash": hash_password(password)})])
    if mfa_enrolled(user):  # the password is half of it: a code finishes the sign-in
        return begin_second_factor(services, user=user.key, client=client)
    return start_session(services, user=user.key, method="password", client=client)


def forgive(store: GraphStore, key: str) -> None:
    """Forget the failures counted against `key` (its owner proved who they are)."""
    if store.get_node("SignInThrottle", key) is not None:
        store.write([DeleteNode("SignInThrottle", key)])


def _find_user(store: GraphStore, email: str) -> Node | None:
    found = store.get_node("User", email)
    if found is None and email != email.lower():
        found = store.get_node("User", email.lower())
    return found


def _account_key(email: str) -> str:
    # Hashed: the graph keeps no list of every address someone tried.
    return "account:" + hashlib.sha256(email.lower().encode()).hexdigest()


def _address_key(client: str) -> str:
    return "address:" + hashlib.sha256(client.encode()).hexdigest()


def throttle_wait(
    store: GraphStore, keys: list[tuple[str, ThrottleRule]], now: float
) -> float | None:
    """Seconds until every one of `keys` may try again (the throttle other guessable
    secrets, such as MFA codes, share), or None when all may now."""
    waits = [w for key, rule in keys if (w := _throttled_for(store, key, rule, now)) is not None]
    return max(waits) if waits else None


def _throttled_for(store: GraphStore, key: str, rule: ThrottleRule, now: float) -> float | None:
    """Seconds until `key` may try again, or None when it may now."""
    node = store.get_node("SignInThrottle", key)
    if node is None:
        return None
    start = float(node.props["window_start"])
    if now - start >= rule.window_seconds or int(node.props["failures"]) < rule.limit:
        return None
    return start + rule.window_seconds - now


def _fail(
    services: Services,
    email: str,
    client: str,
    reason: str,
    keys: list[tuple[str, ThrottleRule]],
) -> None:
    """Count the failure against the account and the address, and log it (never the
    password)."""
    now = services.clock()
    for key, rule in keys:
        count_failure(services.store, key, rule, now)
    entry = audit.Entry(
        kind="user.sign_in_failed",
        at=now,
        actor=email,
        subject=email,
        data={"reason": reason, "client": client},
    )
    audit.append(services.store, entry)


def count_failure(store: GraphStore, key: str, rule: ThrottleRule, now: float) -> None:
    """Count one failure against `key`, in a window of `rule`'s length."""
    # A compare-and-set on the count: failures at the same moment are each counted.
    for _ in range(5):
        node = store.get_node("SignInThrottle", key)
        if node is None or now - float(node.props["window_start"]) >= rule.window_seconds:
            fresh = {"failures": 1, "window_start": now}
            if node is None:
                store.write([UpsertNode("SignInThrottle", key, fresh)])
                return
            expect = {"window_start": node.props["window_start"]}
            change = SetProps("SignInThrottle", key, fresh, expect)
        else:
            count = int(node.props["failures"])
            change = SetProps("SignInThrottle", key, {"failures": count + 1}, {"failures": count})
        try:
            store.write([change])
            return
        except ConflictError:
            continue
