"""Signing in with a second factor: the right password gives a pending sign-in, not a
session; a code finishes it once, within five minutes. And the admin policy: which
session may only enrol, decided in one function."""

from __future__ import annotations

import pytest

from broker import Forbidden, Services, Unauthenticated, audit
from broker.demo import DEMO_ADMIN, DEMO_AUDITOR, DEMO_GRANTEE
from broker.identities.mfa import MfaCodeRefused
from broker.identities.mfa_pending import PendingSecondFactor
from broker.identities.mfa_policy import mfa_enrolment_required, mfa_policy, set_mfa_policy
from broker.identities.mfa_sign_in import finish_mfa_sign_in
from broker.identities.passwords import hash_password
from broker.identities.sessions import StartedSession, session_viewer
from broker.identities.sign_in import SignInRefused, sign_in
from graph import Node, SetProps
from tests.support.clock import ManualClock
from tests.unit.broker.identities.mfa_lab import code_at, enrol

PASSWORD = "correct horse battery staple"
CLIENT = "203.0.113.9"


@pytest.fixture
def secret(services: Services) -> str:
    """The demo grantee with a password and MFA on; the secret."""
    found, _ = enrol(services, DEMO_GRANTEE)
    hashed = hash_password(PASSWORD)
    services.store.write([SetProps("User", DEMO_GRANTEE, {"password_hash": hashed})])
    return found


def _pending(services: Services) -> PendingSecondFactor:
    started = sign_in(services, email=DEMO_GRANTEE, password=PASSWORD, client=CLIENT)
    assert isinstance(started, PendingSecondFactor)
    return started


def _sessions(services: Services) -> list[Node]:
    return services.store.find_nodes("Session", equals={"user": DEMO_GRANTEE})


def test_the_right_password_gives_a_pending_sign_in_and_no_session(
    services: Services, secret: str
) -> None:
    pending = _pending(services)
    assert pending.expires_at == services.clock() + 300
    assert _sessions(services) == []
    (challenge,) = services.store.find_nodes("MfaChallenge")
    assert pending.token not in str(challenge)  # only its hash is kept
    with pytest.raises(SignInRefused):  # a wrong password answers as before
        sign_in(services, email=DEMO_GRANTEE, password="wrong " + PASSWORD, client=CLIENT)


def test_a_code_finishes_the_sign_in_once(services: Services, secret: str) -> None:
    pending = _pending(services)
    code = code_at(secret, services.clock())
    started = finish_mfa_sign_in(services, token=pending.token, code=code, client=CLIENT)
    assert isinstance(started, StartedSession)
    viewer = session_viewer(services, started.session_id)
    assert viewer is not None and viewer.user.key == DEMO_GRANTEE
    assert isinstance(services.clock, ManualClock)
    services.clock.advance(30)
    fresh = code_at(secret, services.clock())
    with pytest.raises(Unauthenticated, match="unknown, used or expired"):
        finish_mfa_sign_in(services, token=pending.token, code=fresh, client=CLIENT)
    assert len(_sessions(services)) == 1


def test_a_wrong_code_keeps_the_pending_sign_in_and_starts_nothing(
    services: Services, secret: str
) -> None:
    pending = _pending(services)
    with pytest.raises(MfaCodeRefused):
        finish_mfa_sign_in(services, token=pending.token, code=code_at(secret, 0.0), client=CLIENT)
    assert _sessions(services) == []
    code = code_at(secret, services.clock())
    finish_mfa_sign_in(services, token=pending.token, code=code, client=CLIENT)
    assert len(_sessions(services)) == 1


def test_a_pending_sign_in_expires_after_five_minutes(
    services: Services, secret: str, clock: ManualClock
) -> None:
    pending = _pending(services)
    clock.advance(301)
    code = code_at(secret, clock())
    with pytest.raises(Unauthenticated, match="expired"):
        finish_mfa_sign_in(services, token=pending.token, code=code, client=CLIENT)
    assert _sessions(services) == []
    user = services.store.get_node("User", DEMO_GRANTEE)
    assert user is not None
    assert user.props.get("mfa_last_step") != int(clock() // 30)  # the code is not used up


def test_unknown_tokens_find_no_pending_sign_in(services: Services, secret: str) -> None:
    code = code_at(secret, services.clock())
    for token in ("", "nope", "x" * 500):
        with pytest.raises(Unauthenticated, match="sign in with your password again"):
            finish_mfa_sign_in(services, token=token, code=code, client=CLIENT)


def _admin(services: Services) -> Node:
    found = services.store.get_node("User", DEMO_ADMIN)
    assert found is not None
    return found


def test_only_an_admin_without_mfa_signed_in_by_password_must_enrol_first(
    services: Services,
) -> None:
    assert not mfa_enrolment_required(services, _admin(services), method="password")
    set_mfa_policy(services, actor=DEMO_ADMIN, require_for_admins=True)
    assert mfa_enrolment_required(services, _admin(services), method="password")
    assert not mfa_enrolment_required(services, _admin(services), method="sso")
    grantee = services.store.get_node("User", DEMO_GRANTEE)
    assert grantee is not None
    assert not mfa_enrolment_required(services, grantee, method="password")
    enrol(services, DEMO_ADMIN)
    assert not mfa_enrolment_required(services, _admin(services), method="password")


def test_admins_set_the_policy_auditors_read_it_and_each_change_is_logged(
    services: Services,
) -> None:
    with pytest.raises(Forbidden):
        set_mfa_policy(services, actor=DEMO_GRANTEE, require_for_admins=True)
    with pytest.raises(Forbidden):
        set_mfa_policy(services, actor=DEMO_AUDITOR, require_for_admins=True)
    assert services.store.find_nodes("Settings") == []
    assert not mfa_policy(services, actor=DEMO_AUDITOR).require_for_admins
    set_mfa_policy(services, actor=DEMO_ADMIN, require_for_admins=True)
    set_mfa_policy(services, actor=DEMO_ADMIN, require_for_admins=True)  # no change: no event
    read = mfa_policy(services, actor=DEMO_AUDITOR)
    assert (read.require_for_admins, read.updated_by) == (True, DEMO_ADMIN)
    with pytest.raises(Forbidden):
        mfa_policy(services, actor=DEMO_GRANTEE)
    events = [e for e in audit.read_events(services.store) if e.kind.startswith("settings.")]
    assert [(e.kind, e.actor, e.data) for e in events] == [
        ("settings.mfa_policy_set", DEMO_ADMIN, {"require_for_admins": True})
    ]
