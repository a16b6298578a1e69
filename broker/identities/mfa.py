"""The TOTP second factor of local accounts: enrol, confirm with a first code (which hands
out ten recovery codes), disable, and the one check every use of a code goes through.

The secret is sealed at rest (`broker.grants.secrets`), never hashed only, since each
code is checked against it; it is never logged nor put in an event, and it is shown once,
at enrolment. A code is accepted at most once per user: the last accepted time step is
kept and moved by compare-and-set, so the same code sent twice, even at the same moment,
counts once. Wrong codes are throttled per account by the sign-in throttle
(`broker.identities.sign_in`), and each one is in the activity log (without the code).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from broker import audit
from broker.errors import DomainError, StateConflict
from broker.grants.secrets import seal, unseal
from broker.identities import mfa_codes
from broker.identities.sign_in import (
    SignInThrottled,
    ThrottleRule,
    count_failure,
    forgive,
    throttle_wait,
)
from broker.services import Services
from graph import ConflictError, DeleteNode, Node, SetProps, UpsertNode, WriteOp

MFA_RULE = ThrottleRule(limit=5, window_seconds=15 * 60.0)
_MAX_CODE_LENGTH = 64
_USED = "this code was used already: wait for the next one (a new code comes every 30 seconds)"
_WRONG = "the code is wrong: type the current 6-digit code from your authenticator app"


class MfaCodeRefused(DomainError):
    """A wrong, replayed or unknown code (which one is said: the account is proven by the
    session or the password already)."""

    code = "mfa_code_refused"


class MfaCodeRequired(DomainError):
    """The action needs a fresh code and none came with it."""

    code = "mfa_code_required"


class MfaNotEnrolled(DomainError):
    """The action needs a second factor the account does not have."""

    code = "mfa_not_enrolled"


@dataclass(frozen=True)
class MfaEnrolment:
    secret: str  # shown once, to its owner
    uri: str  # otpauth://, for the authenticator app's QR code


@dataclass(frozen=True)
class _Proof:
    """What accepting a code changes, to write with the action it allows."""

    ops: list[WriteOp]
    entries: list[audit.Entry] = field(default_factory=list)


def begin_mfa_enrolment(services: Services, *, user: str) -> MfaEnrolment:
    """A new TOTP secret for `user` (a local account), kept until a first code confirms
    it; enrolling again before confirming replaces it. Raises StateConflict when MFA is on
    already (disable it first), MfaNotEnrolled for an account without a password."""
    node = _user(services, user)
    if mfa_codes.mfa_enrolled(node):
        raise StateConflict("MFA is on for your account already: disable it first to enrol anew")
    if not node.props.get("password_hash"):
        raise MfaNotEnrolled(
            "MFA here is for local accounts (signed in with a password): your identity "
            "provider asks for your second factor"
        )
    secret = mfa_codes.new_secret()
    change = {"mfa_secret": seal(secret), "mfa_last_step": None, "mfa_enrolled_at": None}
    services.store.write([SetProps("User", user, change)])
    account = str(node.props.get("email") or user)
    return MfaEnrolment(secret, mfa_codes.provisioning_uri(secret, account))


def confirm_mfa_enrolment(services: Services, *, user: str, code: str) -> list[str]:
    """Turn MFA on for `user` with a first valid `code` of the secret enrolment gave;
    returns the ten recovery codes (shown once, stored hashed). Raises StateConflict when
    there is nothing to confirm, MfaCodeRefused for a wrong code (nothing changes)."""
    node = _user(services, user)
    if mfa_codes.mfa_enrolled(node) or not node.props.get("mfa_secret"):
        raise StateConflict(
            "there is no MFA enrolment waiting for a code: POST /auth/mfa/enrol first"
        )
    proof = _prove(services, node, code, purpose="enrolment", recovery=False)
    now = services.clock()
    codes = mfa_codes.new_recovery_codes()
    ops = [*proof.ops, SetProps("User", user, {"mfa_enrolled_at": now})]
    ops += _forget_recovery_codes(services, user)
    for each in codes:
        key = mfa_codes.recovery_code_key(user, each)
        ops.append(UpsertNode("MfaRecoveryCode", key, {"user": user, "created_at": now}))
    entry = audit.Entry(kind="user.mfa_enrolled", at=now, actor=user, subject=user)
    _write(services, ops, [entry])
    return codes


def disable_mfa(services: Services, *, user: str, code: str) -> None:
    """Turn MFA off for `user`, proven by a current code or a recovery code; their
    recovery codes go too. Raises MfaNotEnrolled when it is off, MfaCodeRefused for a
    wrong code (nothing changes)."""
    node = _user(services, user)
    if not mfa_codes.mfa_enrolled(node):
        raise MfaNotEnrolled("MFA is not on for your account: there is nothing to disable")
    proof = _prove(services, node, code, purpose="disable", recovery=True)
    off = {"mfa_secret": None, "mfa_enrolled_at": None, "mfa_last_step": None}
    ops = [*proof.ops, SetProps("User", user, off)]
    ops += _forget_recovery_codes(services, user)
    entry = audit.Entry(kind="user.mfa_disabled", at=services.clock(), actor=user, subject=user)
    _write(services, ops, [*proof.entries, entry])


def check_second_factor(
    services: Services, *, user: str, code: str | None, purpose: str, recovery: bool
) -> None:
    """Accept `code` as `user`'s second factor for `purpose` (a word for the activity
    log, e.g. `sign_in`, `approval`), or raise: MfaNotEnrolled when they have none,
    MfaCodeRequired when no code came, MfaCodeRefused when it is wrong or used,
    SignInThrottled after too many wrong ones. A recovery code counts only with
    `recovery`. The code is used up either way it succeeds."""
    node = _user(services, user)
    if not mfa_codes.mfa_enrolled(node):
        raise MfaNotEnrolled(
            f"this needs a code from an authenticator app, and `{user}` has no MFA yet: "
            "enrol at POST /auth/mfa/enrol, then try again"
        )
    if not code or not code.strip():
        raise MfaCodeRequired(
            "this needs a fresh 6-digit code from your authenticator app: send it as `mfaCode`"
        )
    proof = _prove(services, node, code, purpose=purpose, recovery=recovery)
    _write(services, proof.ops, proof.entries)


def _user(services: Services, user: str) -> Node:
    node = services.store.get_node("User", user)
    if node is None:
        raise MfaNotEnrolled(f"no user `{user}` exists")
    return node


def _prove(services: Services, node: Node, code: str, *, purpose: str, recovery: bool) -> _Proof:
    """The writes that use `code` up, if it is `node`'s current TOTP code (or, with
    `recovery`, one of their unused recovery codes); else count a failure and raise."""
    store, now = services.store, services.clock()
    keys = [(_throttle_key(node.key), MFA_RULE)]
    wait = throttle_wait(store, keys, now)
    if wait is not None:
        raise SignInThrottled(
            f"too many wrong codes for this account: try again in "
            f"{max(1, round(wait / 60))} minutes",
            retry_after=wait,
        )
    code = code.strip()[:_MAX_CODE_LENGTH]
    if mfa_codes.looks_like_totp(code):
        return _prove_totp(services, node, code, purpose, keys)
    if recovery and mfa_codes.looks_like_recovery_code(code):
        return _prove_recovery(services, node, code, purpose, keys)
    wanted = "6 digits, or a recovery code like `abcd-efgh-ijkl-mnop`" if recovery else "6 digits"
    _fail(services, node, purpose, "malformed", keys)
    raise MfaCodeRefused(f"a code here is {wanted}: type the code again")


def _prove_totp(
    services: Services, node: Node, code: str, purpose: str, keys: list[tuple[str, ThrottleRule]]
) -> _Proof:
    now = services.clock()
    secret = unseal(str(node.props["mfa_secret"]))
    step = mfa_codes.matching_step(secret, code, now)
    last = node.props.get("mfa_last_step")
    if step is None:
        _fail(services, node, purpose, "wrong_code", keys)
        raise MfaCodeRefused(_WRONG)
    if last is not None and step <= int(last):
        _fail(services, node, purpose, "replayed_code", keys)
        raise MfaCodeRefused(_USED)
    forgive(services.store, keys[0][0])
    # Compare-and-set: of two uses of one code at once, the second finds the step moved.
    expect = {"mfa_last_step": last, "mfa_secret": node.props["mfa_secret"]}
    return _Proof([SetProps("User", node.key, {"mfa_last_step": step}, expect)])


def _prove_recovery(
    services: Services, node: Node, code: str, purpose: str, keys: list[tuple[str, ThrottleRule]]
) -> _Proof:
    key = mfa_codes.recovery_code_key(node.key, code)
    found = services.store.get_node("MfaRecoveryCode", key)
    if found is None or found.props.get("user") != node.key or found.props.get("used_at"):
        _fail(services, node, purpose, "wrong_recovery_code", keys)
        raise MfaCodeRefused(
            "the recovery code is unknown or used already: each works once; type another"
        )
    forgive(services.store, keys[0][0])
    now = services.clock()
    left = _unused_recovery_codes(services, node.key) - 1
    entry = audit.Entry(
        kind="user.mfa_recovery_code_used",
        at=now,
        actor=node.key,
        subject=node.key,
        data={"purpose": purpose, "left": left},
    )
    use = SetProps("MfaRecoveryCode", key, {"used_at": now}, {"used_at": None})
    return _Proof([use], [entry])


def _write(services: Services, ops: list[WriteOp], entries: list[audit.Entry]) -> None:
    try:
        audit.write_all(services.store, ops, entries)
    except ConflictError as lost:
        raise MfaCodeRefused(_USED) from lost


def _fail(
    services: Services,
    node: Node,
    purpose: str,
    reason: str,
    keys: list[tuple[str, ThrottleRule]],
) -> None:
    now = services.clock()
    for key, rule in keys:
        count_failure(services.store, key, rule, now)
    entry = audit.Entry(
        kind="user.mfa_failed",
        at=now,
        actor=node.key,
        subject=node.key,
        data={"purpose": purpose, "reason": reason},
    )
    audit.append(services.store, entry)


def _unused_recovery_codes(services: Services, user: str) -> int:
    found = services.store.find_nodes("MfaRecoveryCode", equals={"user": user})
    return sum(1 for node in found if node.props.get("used_at") is None)


def _forget_recovery_codes(services: Services, user: str) -> list[WriteOp]:
    found = services.store.find_nodes("MfaRecoveryCode", equals={"user": user})
    return [DeleteNode("MfaRecoveryCode", node.key) for node in found]


def _throttle_key(user: str) -> str:
    # Hashed like the sign-in throttle's keys: the graph lists no accounts by name there.
    return "mfa:" + hashlib.sha256(user.lower().encode()).hexdigest()
