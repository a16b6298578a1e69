"""People with MFA on, for the MFA tests: a local account, enrolled and confirmed."""

from __future__ import annotations

import pyotp

from broker import Services
from broker.identities.mfa import begin_mfa_enrolment, confirm_mfa_enrolment
from graph import SetProps
from tests.support.clock import ManualClock

# Any argon2 hash marks a local account; these tests never check the password.
LOCAL = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g"


def make_local(services: Services, user: str) -> str:
    services.store.write([SetProps("User", user, {"password_hash": LOCAL})])
    return user


def code_at(secret: str, at: float) -> str:
    return pyotp.TOTP(secret).at(at)


def enrol(services: Services, user: str) -> tuple[str, list[str]]:
    """`user` with MFA on: (the secret, the recovery codes). The clock moves one step on,
    so the confirming code is used and the next one is fresh."""
    make_local(services, user)
    secret = begin_mfa_enrolment(services, user=user).secret
    codes = confirm_mfa_enrolment(services, user=user, code=code_at(secret, services.clock()))
    assert isinstance(services.clock, ManualClock)
    services.clock.advance(30)
    return secret, codes
