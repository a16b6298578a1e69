"""Signing in over HTTP: a local password gives a session cookie that /graphql accepts with
its CSRF token; sign-out, disabling and a reset end it; guessing is throttled and told
nothing; the reset mail arrives through a real SMTP server and its link works once."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from broker import NotifyConfig, audit
from broker.demo import DEMO_ADMIN, DEMO_GRANTEE
from broker.identities.passwords import hash_password
from broker.notify import Notifier
from graph import SetProps
from tests.e2e.conftest import LiveKeyturn
from tests.support.smtp import Smtp, smtp

__all__ = ["smtp"]

PASSWORD = "correct horse battery staple"
ME = "{ me { email role } }"


@pytest.fixture
def signed_up(live: LiveKeyturn) -> LiveKeyturn:
    """The demo grantee with a local password (written as invitations write it)."""
    hashed = hash_password(PASSWORD)
    live.services.store.write([SetProps("User", DEMO_GRANTEE, {"password_hash": hashed})])
    return live


@pytest.fixture
def browser(signed_up: LiveKeyturn) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=signed_up.base_url, timeout=30) as client:
        yield client


def _login(client: httpx.Client, email: str = DEMO_GRANTEE, password: str = PASSWORD) -> Any:
    return client.post("/auth/login", json={"email": email, "password": password})


def _graphql(client: httpx.Client, query: str, csrf: str | None) -> httpx.Response:
    headers = {"X-CSRF-Token": csrf} if csrf is not None else {}
    return client.post("/graphql", json={"query": query}, headers=headers)


def test_sign_in_sets_a_safe_cookie_that_graphql_accepts_with_the_csrf_token(
    browser: httpx.Client,
) -> None:
    reply = _login(browser)
    assert reply.status_code == 200, reply.text
    cookie = reply.headers["set-cookie"]
    assert cookie.startswith("keyturn_session=")
    for flag in ("HttpOnly", "Path=/", "SameSite=lax"):
        assert flag.lower() in cookie.lower(), cookie
    assert "secure" not in cookie.lower()  # the public URL is plain http here
    csrf = reply.json()["csrfToken"]
    assert reply.json()["user"] == {
        "email": DEMO_GRANTEE,
        "name": "Linus Engineer",
        "role": "grantee",
    }

    session = browser.get("/auth/session")
    assert session.status_code == 200
    assert session.json()["csrfToken"] == csrf

    answered = _graphql(browser, ME, csrf)
    assert answered.json() == {"data": {"me": {"email": DEMO_GRANTEE, "role": "grantee"}}}


def test_a_cookie_without_the_csrf_token_is_refused(browser: httpx.Client) -> None:
    csrf = _login(browser).json()["csrfToken"]
    for sent in (None, "", csrf[:-2]):
        refused = _graphql(browser, ME, sent)
        assert refused.status_code == 403
        (error,) = refused.json()["errors"]
        assert error["extensions"]["code"] == "csrf"
        assert "X-CSRF-Token" in error["message"]


def test_bearer_tokens_need_no_csrf_token_and_nobody_still_gets_401(
    signed_up: LiveKeyturn,
) -> None:
    assert signed_up.grantee.data(ME)["me"]["email"] == DEMO_GRANTEE
    anonymous = httpx.post(f"{signed_up.base_url}/graphql", json={"query": ME})
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == 'Bearer realm="keyturn"'


def test_signing_out_ends_the_session(browser: httpx.Client) -> None:
    csrf = _login(browser).json()["csrfToken"]
    assert browser.post("/auth/logout").status_code == 403  # the token guards sign-out too
    out = browser.post("/auth/logout", headers={"X-CSRF-Token": csrf})
    assert out.status_code == 200
    assert "max-age=0" in out.headers["set-cookie"].lower()
    assert browser.get("/auth/session").status_code == 401


def test_a_logged_out_cookie_sent_again_is_refused(browser: httpx.Client) -> None:
    reply = _login(browser)
    csrf, cookie = reply.json()["csrfToken"], browser.cookies["keyturn_session"]
    browser.post("/auth/logout", headers={"X-CSRF-Token": csrf})
    replayed = httpx.post(
        f"{browser.base_url}/graphql",
        json={"query": ME},
        headers={"X-CSRF-Token": csrf, "Cookie": f"keyturn_session={cookie}"},
    )
    assert replayed.status_code == 401
    assert "sign in again" in replayed.json()["errors"][0]["message"]


def test_each_sign_in_gets_a_new_session_and_ends_the_one_sent(browser: httpx.Client) -> None:
    _login(browser)
    first = browser.cookies["keyturn_session"]
    _login(browser)
    second = browser.cookies["keyturn_session"]
    assert first != second
    stale = httpx.get(f"{browser.base_url}/auth/session", cookies={"keyturn_session": first})
    assert stale.status_code == 401


def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(
    signed_up: LiveKeyturn, browser: httpx.Client
) -> None:
    timings = {}
    answers = {}
    for case, email, password in (
        ("wrong password", DEMO_GRANTEE, "not the password at all"),
        ("unknown email", "nobody@acme.example", PASSWORD),
    ):
        started = time.perf_counter()
        reply = _login(browser, email, password)
        timings[case] = time.perf_counter() - started
        answers[case] = (reply.status_code, reply.json())
    assert answers["wrong password"] == answers["unknown email"]
    assert answers["wrong password"][0] == 401
    # Both do one argon2 verification: neither is several times faster than the other.
    slow, fast = max(timings.values()), min(timings.values())
    assert slow < 5 * fast, timings
    failed = [
        e for e in audit.read_events(signed_up.services.store) if e.kind == "user.sign_in_failed"
    ]
    assert [e.data["reason"] for e in failed] == ["wrong_password", "unknown_account"]
    assert PASSWORD not in str(failed) and "not the password at all" not in str(failed)


def test_guessing_is_throttled_per_account_then_refused_with_429(
    signed_up: LiveKeyturn, browser: httpx.Client
) -> None:
    for _ in range(5):
        assert _login(browser, password="guess guess guess").status_code == 401
    refused = _login(browser)  # even the right password, while throttled
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert "too many failed sign-ins" in refused.json()["error"]
    assert int(refused.headers["retry-after"]) > 0
    signed_up.clock.advance(15 * 60 + 1)
    assert _login(browser).status_code == 200


def test_guessing_across_accounts_is_throttled_per_address(browser: httpx.Client) -> None:
    for n in range(20):
        assert _login(browser, f"guess{n}@acme.example", "guess guess guess").status_code == 401
    assert _login(browser, "guess99@acme.example", "guess guess guess").status_code == 429


def test_disabling_a_user_ends_their_browser_session_at_once(
    signed_up: LiveKeyturn, browser: httpx.Client
) -> None:
    csrf = _login(browser).json()["csrfToken"]
    assert _graphql(browser, ME, csrf).status_code == 200
    signed_up.admin.data(f'mutation {{ disableUser(user: "{DEMO_GRANTEE}") }}')
    assert _graphql(browser, ME, csrf).status_code == 401
    assert browser.get("/auth/session").status_code == 401
    refused = _login(browser)
    assert refused.status_code == 403
    assert "disabled" in refused.json()["error"]


def test_bad_bodies_are_precise_400s(browser: httpx.Client) -> None:
    for body in (b"42", b"{", b'{"email": 1, "password": "x"}'):
        reply = browser.post(
            "/auth/login", content=body, headers={"content-type": "application/json"}
        )
        assert reply.status_code == 400
        assert reply.json()["code"] == "invalid_input"


@pytest.fixture
def mailing(signed_up: LiveKeyturn, smtp: Smtp) -> Iterator[Notifier]:
    config = NotifyConfig(smtp_url=smtp.url, public_url="https://keyturn.example.com")
    notifier = config.notifier()
    signed_up.services.notifier = notifier
    yield notifier
    notifier.close()


def test_a_password_reset_mail_arrives_and_its_link_sets_a_new_password_once(
    signed_up: LiveKeyturn, browser: httpx.Client, smtp: Smtp, mailing: Notifier
) -> None:
    csrf = _login(browser).json()["csrfToken"]
    asked = browser.post("/auth/password/forgot", json={"email": DEMO_GRANTEE})
    unknown = browser.post("/auth/password/forgot", json={"email": "nobody@acme.example"})
    assert (asked.status_code, asked.json()) == (unknown.status_code, unknown.json())
    assert asked.status_code == 202
    assert mailing.drain()
    (mail,) = smtp.inbox.to(DEMO_GRANTEE)
    assert len(smtp.inbox.messages) == 1
    body = mail.get_content()
    link = re.search(r"https://keyturn\.example\.com/reset/(\S+)", body)
    assert link is not None, body
    assert body.index(link.group(0)) < body.index("works once")
    token = link.group(1)

    new_password = "a brand new long passphrase"
    short = browser.post("/auth/password/reset", json={"token": token, "password": "short"})
    assert short.status_code == 400 and "at least 12 characters" in short.json()["error"]
    done = browser.post("/auth/password/reset", json={"token": token, "password": new_password})
    assert done.status_code == 200, done.text
    assert _graphql(browser, ME, csrf).status_code == 401  # every session ended
    again = browser.post("/auth/password/reset", json={"token": token, "password": new_password})
    assert again.status_code == 400 and "unknown, used or expired" in again.json()["error"]
    assert _login(browser).status_code == 401
    assert _login(browser, password=new_password).status_code == 200
    kinds = [e.kind for e in audit.read_events(signed_up.services.store)]
    assert "user.password_reset" in kinds and "user.password_reset_requested" in kinds
    assert token not in str(audit.read_events(signed_up.services.store))


def test_a_reset_link_expires_after_30_minutes(
    signed_up: LiveKeyturn, browser: httpx.Client, smtp: Smtp, mailing: Notifier
) -> None:
    browser.post("/auth/password/forgot", json={"email": DEMO_GRANTEE})
    assert mailing.drain()
    (mail,) = smtp.inbox.to(DEMO_GRANTEE)
    token = re.findall(r"/reset/(\S+)", mail.get_content())[0]
    signed_up.clock.advance(30 * 60 + 1)
    late = browser.post("/auth/password/reset", json={"token": token, "password": "x" * 12})
    assert late.status_code == 400
    assert _login(browser).status_code == 200  # the old password still works


def test_an_admin_session_works_for_admin_operations(signed_up: LiveKeyturn) -> None:
    hashed = hash_password(PASSWORD)
    signed_up.services.store.write([SetProps("User", DEMO_ADMIN, {"password_hash": hashed})])
    with httpx.Client(base_url=signed_up.base_url, timeout=30) as client:
        csrf = _login(client, DEMO_ADMIN).json()["csrfToken"]
        reply = _graphql(
            client,
            f'mutation {{ setUserRole(user: "{DEMO_GRANTEE}", role: "auditor") {{ role }} }}',
            csrf,
        )
        assert reply.json() == {"data": {"setUserRole": {"role": "auditor"}}}
