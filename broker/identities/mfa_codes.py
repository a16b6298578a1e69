"""The arithmetic of the TOTP second factor (RFC 6238 through `pyotp`) and of recovery
codes, with no graph in sight: which time step a code belongs to, what a recovery code
looks like and how it is stored.

Codes are 6 digits for a 30-second step, and a code of the step before or after the
current one is accepted too (clocks drift, people type slowly). Which steps were used
already is the caller's business (`broker.identities.mfa` keeps the last one per user).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

import pyotp

from graph import Node

DIGITS = 6
STEP_SECONDS = 30
WINDOW_STEPS = 1  # a code of one step before or after now is accepted too
ISSUER = "Keyturn"
RECOVERY_CODE_COUNT = 10
# 16 characters of base32: 80 random bits, so a plain SHA-256 keeps them safe at rest.
_RECOVERY_GROUPS, _RECOVERY_GROUP_LENGTH = 4, 4
_RECOVERY_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
_TOTP = re.compile(r"^[0-9]{6}$")
_RECOVERY = re.compile(r"^[a-z2-7]{16}$")


def mfa_enrolled(user: Node) -> bool:
    """Whether `user` has a confirmed TOTP second factor."""
    return user.props.get("mfa_enrolled_at") is not None and bool(user.props.get("mfa_secret"))


def new_secret() -> str:
    """A fresh TOTP secret: 160 random bits in base32, as authenticator apps take it."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, account: str) -> str:
    """The otpauth:// URI an authenticator app reads (usually from a QR code)."""
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    return totp.provisioning_uri(name=account, issuer_name=ISSUER)


def step_at(now: float) -> int:
    """The TOTP time step `now` falls in."""
    return int(now // STEP_SECONDS)


def looks_like_totp(code: str) -> bool:
    return bool(_TOTP.fullmatch(code))


def matching_step(secret: str, code: str, now: float) -> int | None:
    """The time step within the window around `now` whose code `code` is, or None.
    Every step of the window is compared (in constant time each), so the answer's timing
    does not tell which one matched."""
    if not looks_like_totp(code):
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    current = step_at(now)
    found = None
    for step in range(current - WINDOW_STEPS, current + WINDOW_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    return found


def normalized(code: str) -> str:
    """A code as typed, without spaces and dashes, in lower case."""
    return re.sub(r"[\s-]", "", code).lower()


def looks_like_recovery_code(code: str) -> bool:
    return bool(_RECOVERY.fullmatch(normalized(code)))


def new_recovery_codes() -> list[str]:
    """Fresh recovery codes, each shown once, as `abcd-efgh-ijkl-mnop`."""
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        groups = (
            "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_GROUP_LENGTH))
            for _ in range(_RECOVERY_GROUPS)
        )
        codes.append("-".join(groups))
    return codes


def recovery_code_key(user: str, code: str) -> str:
    """The key the MfaRecoveryCode node of `user`'s `code` has: a hash of both, so the
    graph holds no usable code and one user's code says nothing about another's."""
    return hashlib.sha256(f"{user}\n{normalized(code)}".encode()).hexdigest()
