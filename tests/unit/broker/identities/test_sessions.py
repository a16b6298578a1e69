"""Browser sessions: started with a fresh id, found by it alone, ended by time, sign-out,
disabling and a role change; kept in the graph, never with the id in plain."""

from __future__ import annotations

import pytest

from broker import Forbidden, Services, audit
from broker.demo import DEMO_ADMIN, DEMO_GRANTEE
from broker.identities.disable_user import disable_user
from broker.identities.sessions import (
    IDLE_ENV,
    MAX_AGE_ENV,
    SessionLimits,
    csrf_matches,
    csrf_token_for,
    end_session,
    end_sessions_ops,
    session_viewer,
    start_session,
)
from broker.identities.set_user_role import set_user_role
from graph import SetProps
from tests.support.clock import ManualClock

HOUR = 3600.0


def _start(services: Services, user: str = DEMO_GRANTEE) -> str:
    return start_session(services, user=user, method="password", client="203.0.113.7").session_id


def test_a_started_session_finds_its_user_and_checks_its_csrf_token(services: Services) -> None:
    started = start_session(services, user=DEMO_GRANTEE, method="password", client="203.0.113.7")
    viewer = session_viewer(services, started.session_id)
    assert viewer is not None
    assert viewer.user.key == DEMO_GRANTEE
    assert csrf_matches(viewer, started.csrf_token)
    assert started.csrf_token == csrf_token_for(started.session_id)
    last = started.csrf_token[-1]
    tampered = started.csrf_token[:-1] + ("1" if last == "0" else "0")  # always a change
    assert not csrf_matches(viewer, tampered)
    assert not csrf_matches(viewer, None)
    assert started.expires_at == pytest.approx(services.clock() + 7 * 24 * HOUR)


def test_the_graph_holds_the_session_only_hashed_and_logs_the_sign_in(services: Services) -> None:
    started = start_session(services, user=DEMO_GRANTEE, method="password", client="203.0.113.7")
    (stored,) = services.store.find_nodes("Session", equals={"user": DEMO_GRANTEE})
    assert started.session_id not in str(stored)
    assert started.csrf_token not in str(stored)
    (event,) = [e for e in audit.read_events(services.store) if e.kind == "user.signed_in"]
    assert (event.actor, event.data) == (
        DEMO_GRANTEE,
        {"method": "password", "client": "203.0.113.7"},
    )
    assert started.session_id not in str(event) and started.csrf_token not in str(event)


def test_every_sign_in_gets_a_new_id_and_the_old_one_still_ends_alone(services: Services) -> None:
    first, second = _start(services), _start(services)
    assert first != second
    assert end_session(services, first)
    assert session_viewer(services, first) is None
    assert session_viewer(services, second) is not None


def test_unknown_tampered_and_oversized_ids_find_no_one(services: Services) -> None:
    real = _start(services)
    for wrong in ("", "nope", real[:-1] + ("A" if real[-1] != "A" else "B"), real * 10):
        assert session_viewer(services, wrong) is None


def test_an_idle_session_ends_after_twelve_hours_without_use(
    services: Services, clock: ManualClock
) -> None:
    session = _start(services)
    clock.advance(11 * HOUR)
    assert session_viewer(services, session) is not None  # a use restarts the idle time
    clock.advance(11 * HOUR)
    assert session_viewer(services, session) is not None
    clock.advance(12 * HOUR + 1)
    assert session_viewer(services, session) is None
    assert services.store.find_nodes("Session", equals={"user": DEMO_GRANTEE}) == []


def test_a_used_session_still_ends_seven_days_after_sign_in(
    services: Services, clock: ManualClock
) -> None:
    session = _start(services)
    for _ in range(16):  # used every 10 hours: never idle
        clock.advance(10 * HOUR)
        assert session_viewer(services, session) is not None
    clock.advance(10 * HOUR)  # 170 h > 168 h
    assert session_viewer(services, session) is None


def test_limits_come_from_the_environment(
    services: Services, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(IDLE_ENV, "0.5")
    session = _start(services)
    clock.advance(0.5 * HOUR + 1)
    assert session_viewer(services, session) is None
    monkeypatch.setenv(MAX_AGE_ENV, "never")
    with pytest.raises(ValueError, match="KEYTURN_SESSION_MAX_DAYS `never` is not a positive"):
        SessionLimits.from_env({MAX_AGE_ENV: "never"})


def test_use_is_recorded_at_most_once_a_minute(services: Services, clock: ManualClock) -> None:
    session = _start(services)

    def seen() -> float:
        (node,) = services.store.find_nodes("Session", equals={"user": DEMO_GRANTEE})
        return float(node.props["last_seen_at"])

    started = seen()
    clock.advance(30)
    assert session_viewer(services, session) is not None
    assert seen() == started
    clock.advance(31)
    assert session_viewer(services, session) is not None
    assert seen() == started + 61


def test_disabling_a_user_ends_their_sessions_at_once(services: Services) -> None:
    session = _start(services)
    other = _start(services, DEMO_ADMIN)
    disable_user(services, actor=DEMO_ADMIN, user=DEMO_GRANTEE)
    assert services.store.find_nodes("Session", equals={"user": DEMO_GRANTEE}) == []
    assert session_viewer(services, session) is None
    assert session_viewer(services, other) is not None


def test_a_role_change_ends_the_users_sessions(services: Services) -> None:
    session = _start(services)
    set_user_role(services, actor=DEMO_ADMIN, user=DEMO_GRANTEE, role="auditor")
    assert session_viewer(services, session) is None


def test_end_sessions_ops_delete_every_session_of_one_user(services: Services) -> None:
    mine = [_start(services), _start(services)]
    theirs = _start(services, DEMO_ADMIN)
    services.store.write(end_sessions_ops(services.store, DEMO_GRANTEE))
    assert [session_viewer(services, s) for s in mine] == [None, None]
    assert session_viewer(services, theirs) is not None


def test_a_user_who_may_not_sign_in_gets_no_session(services: Services) -> None:
    session = _start(services)
    # Disabled behind the use cases' back: the session still finds no one.
    services.store.write([SetProps("User", DEMO_GRANTEE, {"disabled": True})])
    assert session_viewer(services, session) is None
    with pytest.raises(Forbidden, match=f"user `{DEMO_GRANTEE}` may not sign in"):
        _start(services)


def test_signing_out_is_logged_and_a_second_sign_out_finds_nothing(services: Services) -> None:
    session = _start(services)
    assert end_session(services, session)
    assert not end_session(services, session)
    kinds = [e.kind for e in audit.read_events(services.store)]
    assert kinds.count("user.signed_out") == 1
