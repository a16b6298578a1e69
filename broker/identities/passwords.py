"""Local passwords: argon2id hashes (argon2-cffi's defaults, RFC 9106's second recommended
set), a length rule, and a check that takes as long for an unknown account as for a wrong
password, so sign-in answers never tell which it was."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from broker.errors import InvalidInput

MIN_LENGTH = 12
MAX_LENGTH = 256  # argon2 takes any length: the bound keeps one sign-in from costing more


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()  # argon2id


def check_password_rule(password: str) -> None:
    """Refuse a password a person may not choose: too short or too long (no composition
    rules: length is what counts, as NIST SP 800-63B says)."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(
            f"a password needs at least {MIN_LENGTH} characters, not {len(password)}: "
            "a few unrelated words make a strong one"
        )
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"a password has at most {MAX_LENGTH} characters")


def hash_password(password: str) -> str:
    """The argon2id hash to store (salted; the parameters travel inside it)."""
    check_password_rule(password)
    return _hasher().hash(password)


@cache
def _decoy() -> str:
    return _hasher().hash("no account has this password: it only costs the same time")


def password_matches(stored: str | None, password: str) -> bool:
    """Whether `password` matches the `stored` hash. With no stored hash (an unknown
    account, or one without a password) a decoy hash is checked instead, so both answers
    take the time of one argon2 verification."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher().verify(stored or _decoy(), password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """True when `stored` was made with weaker parameters than today's: hash again at the
    next successful sign-in."""
    return _hasher().check_needs_rehash(stored)
