"""Single sign-on over HTTP against a real OpenID provider (the npm package `oidc-provider`,
tests/oidc): the whole authorization code flow, and each way an answer can be wrong."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import pytest

from api.auth import SESSION_COOKIE
from broker import disable_user, invite_user
from broker.demo import DEMO_ADMIN, DEMO_GRANTEE
from broker.notify import Notifier, SmtpMailer
from graph import NodeRef
from tests.e2e.conftest import LiveKeyturn
from tests.support.oidc_provider import OidcProvider, running_oidc_provider
from tests.support.smtp import Smtp
from tests.support.smtp import smtp as smtp  # the real SMTP server fixture

CALLBACK = "/auth/oidc/callback"
ME = "query { me { email role } }"


@dataclass
class Sso:
    live: LiveKeyturn
    provider: OidcProvider


@pytest.fixture
def sso(live: LiveKeyturn, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sso]:
    with running_oidc_provider(live.base_url + CALLBACK) as provider:
        _configure(monkeypatch, provider)
        yield Sso(live, provider)


def _configure(monkeypatch: pytest.MonkeyPatch, provider: OidcProvider) -> None:
    monkeypatch.setenv("KEYTURN_OIDC_ISSUER", provider.issuer)
    monkeypatch.setenv("KEYTURN_OIDC_CLIENT_ID", provider.client_id)
    monkeypatch.setenv("KEYTURN_OIDC_CLIENT_SECRET", provider.client_secret)


def _browser(sso: Sso) -> httpx.Client:
    return httpx.Client(base_url=sso.live.base_url, timeout=30)


def _to_callback(browser: httpx.Client, sso: Sso) -> str:
    """Start a sign-in and follow the provider's redirects up to (not into) Keyturn's
    callback; the callback URL the provider sent the browser to."""
    url = sso.live.base_url + "/auth/oidc/login"
    for _ in range(10):
        reply = browser.get(url)
        assert reply.status_code in (302, 303), (reply.status_code, reply.text[:500])
        url = str(reply.url.join(reply.headers["location"]))
        if url.startswith(sso.live.base_url + CALLBACK):
            return url
    raise AssertionError("the provider never redirected back to Keyturn")


def _with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def _me(browser: httpx.Client) -> dict[str, Any]:
    session = browser.get("/auth/session")
    assert session.status_code == 200, session.text
    reply = browser.post(
        "/graphql",
        json={"query": ME},
        headers={"X-CSRF-Token": session.json()["csrfToken"]},
    )
    assert reply.status_code == 200, reply.text
    me: dict[str, Any] = reply.json()["data"]["me"]
    return me


def _sessions_of(sso: Sso, user: str) -> int:
    return len(sso.live.services.store.edges("SIGNED_IN", src=NodeRef("User", user)))


def _user_props(sso: Sso, user: str) -> dict[str, Any]:
    node = sso.live.services.store.get_node("User", user)
    assert node is not None
    return dict(node.props)


def test_code_flow_signs_an_active_user_in_and_me_answers_with_the_session(sso: Sso) -> None:
    """Login -> provider -> callback ends with a session cookie that `me` accepts, and the
    account is bound to the provider's subject at its issuer."""
    subject = sso.provider.sign_in_as(DEMO_GRANTEE)
    with _browser(sso) as browser:
        landed = browser.get("/auth/oidc/login", follow_redirects=True)
        assert landed.status_code == 200
        assert landed.url.path == "/"
        assert browser.cookies.get(SESSION_COOKIE)
        assert _me(browser) == {"email": DEMO_GRANTEE, "role": "grantee"}
    props = _user_props(sso, DEMO_GRANTEE)
    assert (props["oidc_subject"], props["oidc_issuer"]) == (subject, sso.provider.issuer)


def test_invited_user_becomes_active_and_bound_on_first_sso_sign_in(sso: Sso) -> None:
    """An INVITED person who signs in with SSO instead of setting a password is ACTIVE."""
    person = "nadia@acme.example"
    invite_user(
        sso.live.services, actor=DEMO_ADMIN, email=person, full_name="Nadia N", role="auditor"
    )
    assert _user_props(sso, person)["status"] == "INVITED"
    subject = sso.provider.sign_in_as(person)
    with _browser(sso) as browser:
        browser.get("/auth/oidc/login", follow_redirects=True)
        assert _me(browser) == {"email": person, "role": "auditor"}
    props = _user_props(sso, person)
    assert props["status"] == "ACTIVE"
    assert props["oidc_subject"] == subject


def test_the_invitation_page_offers_sso_and_signing_in_with_it_uses_the_invitation_up(
    sso: Sso, smtp: Smtp
) -> None:
    """The mailed link's page offers single sign-on beside the password; signing in with it
    binds the invited account and spends the link: opening it again says it was used, and
    accepting it with a password changes nothing."""
    person = "iris@acme.example"
    sso.live.services.notifier = Notifier(mailer=SmtpMailer(smtp.url), public_url=sso.live.base_url)
    invite_user(
        sso.live.services, actor=DEMO_ADMIN, email=person, full_name="Iris I", role="grantee"
    )
    assert isinstance(sso.live.services.notifier, Notifier)
    assert sso.live.services.notifier.drain(10)
    (mail,) = smtp.inbox.to(person)
    found = re.search(r"/invite/([A-Za-z0-9_-]+)", mail.get_content())
    assert found, mail.get_content()
    link, token = found.group(0), found.group(1)
    with _browser(sso) as browser:
        page = browser.get(link)
        assert page.status_code == 200
        assert '<a href="/auth/oidc/login">sign in with single sign-on</a>' in page.text
        sso.provider.sign_in_as(person)
        browser.get("/auth/oidc/login", follow_redirects=True)
        assert _me(browser) == {"email": person, "role": "grantee"}
        again = browser.get(link)
        assert again.status_code == 409
        assert "already used" in again.text
        refused = browser.post(
            "/auth/invite/accept", json={"token": token, "password": "a long enough password"}
        )
        assert refused.status_code == 409
    props = _user_props(sso, person)
    assert props["status"] == "ACTIVE"
    assert "password_hash" not in props


def test_the_invitation_page_has_no_sso_choice_where_sso_is_not_configured(
    live: LiveKeyturn, smtp: Smtp
) -> None:
    person = "ivo@acme.example"
    live.services.notifier = Notifier(mailer=SmtpMailer(smtp.url), public_url=live.base_url)
    invite_user(live.services, actor=DEMO_ADMIN, email=person, full_name="Ivo I", role="grantee")
    assert isinstance(live.services.notifier, Notifier)
    assert live.services.notifier.drain(10)
    (mail,) = smtp.inbox.to(person)
    found = re.search(r"/invite/[A-Za-z0-9_-]+", mail.get_content())
    assert found, mail.get_content()
    with httpx.Client(base_url=live.base_url, timeout=30) as browser:
        page = browser.get(found.group(0))
    assert page.status_code == 200
    assert 'name="password"' in page.text
    assert "single sign-on" not in page.text


def test_uninvited_person_is_refused_with_a_clear_page_and_nothing_is_created(sso: Sso) -> None:
    sso.provider.sign_in_as("stranger@elsewhere.example")
    with _browser(sso) as browser:
        page = browser.get("/auth/oidc/login", follow_redirects=True)
        assert page.status_code == 403
        assert "not invited to Keyturn: ask an admin" in page.text
        assert SESSION_COOKIE not in browser.cookies
    assert sso.live.services.store.get_node("User", "stranger@elsewhere.example") is None


def test_role_claim_mapping_lets_a_new_person_join_with_source_sso(
    sso: Sso, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KEYTURN_OIDC_ROLE_CLAIM", "groups")
    monkeypatch.setenv("KEYTURN_OIDC_ROLE_MAP", "keyturn-auditors=auditor")
    monkeypatch.setenv("KEYTURN_OIDC_SCOPES", "openid email profile groups")
    person = "omar@partner.example"
    sso.provider.sign_in_as(person, groups=["staff", "keyturn-auditors"])
    with _browser(sso) as browser:
        browser.get("/auth/oidc/login", follow_redirects=True)
        assert _me(browser) == {"email": person, "role": "auditor"}
    props = _user_props(sso, person)
    assert (props["source"], props["status"], props["role"]) == ("sso", "ACTIVE", "auditor")


def test_account_bound_to_another_subject_is_refused(sso: Sso) -> None:
    sso.provider.sign_in_as(DEMO_GRANTEE, sub="first-subject")
    with _browser(sso) as browser:
        browser.get("/auth/oidc/login", follow_redirects=True)
    sso.provider.sign_in_as(DEMO_GRANTEE, sub="someone-else")
    with _browser(sso) as browser:
        page = browser.get("/auth/oidc/login", follow_redirects=True)
        assert page.status_code == 403
        assert "bound to another single sign-on identity" in page.text
        assert SESSION_COOKIE not in browser.cookies
    assert _sessions_of(sso, DEMO_GRANTEE) == 1


def test_disabled_user_is_refused_even_with_a_valid_identity(sso: Sso) -> None:
    disable_user(sso.live.services, actor=DEMO_ADMIN, user=DEMO_GRANTEE)
    sso.provider.sign_in_as(DEMO_GRANTEE)
    with _browser(sso) as browser:
        page = browser.get("/auth/oidc/login", follow_redirects=True)
        assert page.status_code == 403
        assert "is disabled: ask an admin" in page.text
        assert SESSION_COOKIE not in browser.cookies
    assert "oidc_subject" not in _user_props(sso, DEMO_GRANTEE)
    assert _sessions_of(sso, DEMO_GRANTEE) == 0


def test_signing_in_again_ends_the_session_the_browser_had(sso: Sso) -> None:
    """Sessions rotate at sign-in: the old cookie's session is gone, the new one works."""
    sso.provider.sign_in_as(DEMO_GRANTEE)
    with _browser(sso) as browser:
        page = browser.get("/auth/oidc/login", follow_redirects=True)
        assert SESSION_COOKIE in browser.cookies, (page.status_code, page.text[:500])
        first = browser.cookies[SESSION_COOKIE]
        browser.get("/auth/oidc/login", follow_redirects=True)
        assert browser.cookies[SESSION_COOKIE] != first
        assert _me(browser)["email"] == DEMO_GRANTEE
    assert _sessions_of(sso, DEMO_GRANTEE) == 1


def test_a_provider_replaced_at_its_address_under_the_same_key_id_still_signs_people_in(
    live: LiveKeyturn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keys cached from the first provider no longer verify the second one's tokens though
    they bear the same key id: Keyturn fetches the keys once more instead of refusing."""
    callback = live.base_url + CALLBACK
    with running_oidc_provider(callback, key_id="the-only-key") as first:
        _configure(monkeypatch, first)
        first.sign_in_as(DEMO_GRANTEE)
        with _browser(Sso(live, first)) as browser:
            browser.get("/auth/oidc/login", follow_redirects=True)
            assert _me(browser)["email"] == DEMO_GRANTEE
        port = urlsplit(first.issuer).port
    assert port is not None
    with running_oidc_provider(callback, port=port, key_id="the-only-key") as second:
        assert second.issuer == first.issuer
        _configure(monkeypatch, second)
        second.sign_in_as(DEMO_GRANTEE)
        with _browser(Sso(live, second)) as browser:
            page = browser.get("/auth/oidc/login", follow_redirects=True)
            assert SESSION_COOKIE in browser.cookies, (page.status_code, page.text[:500])
            assert _me(browser)["email"] == DEMO_GRANTEE


def test_wrong_state_is_refused_and_signs_nobody_in(sso: Sso) -> None:
    sso.provider.sign_in_as(DEMO_GRANTEE)
    before = _user_props(sso, DEMO_GRANTEE)
    with _browser(sso) as browser:
        callback = _to_callback(browser, sso)
        page = browser.get(_with_query(callback, state="forged-state"))
        assert page.status_code == 401
        assert "its `state` differs" in page.text
        assert SESSION_COOKIE not in browser.cookies
    assert _user_props(sso, DEMO_GRANTEE) == before
    assert _sessions_of(sso, DEMO_GRANTEE) == 0


def test_callback_without_the_login_cookie_is_refused(sso: Sso) -> None:
    """An answer the browser never asked for (a login started elsewhere) signs nobody in."""
    sso.provider.sign_in_as(DEMO_GRANTEE)
    with _browser(sso) as browser:
        callback = _to_callback(browser, sso)
    with _browser(sso) as stranger:
        page = stranger.get(callback)
        assert page.status_code == 401
        assert "no single sign-on was started in this browser" in page.text
    assert _sessions_of(sso, DEMO_GRANTEE) == 0


def test_replayed_code_is_refused_by_the_provider_and_signs_nobody_in(sso: Sso) -> None:
    sso.provider.sign_in_as(DEMO_GRANTEE)
    with _browser(sso) as browser:
        used = _to_callback(browser, sso)
        assert browser.get(used).status_code == 303
    assert _sessions_of(sso, DEMO_GRANTEE) == 1
    with _browser(sso) as replayer:
        # a fresh login of its own (a valid state), answered with the spent code
        fresh = _to_callback(replayer, sso)
        code = parse_qs(urlsplit(used).query)["code"][0]
        page = replayer.get(_with_query(fresh, code=code))
        assert page.status_code == 401
        assert "would not redeem the sign-in code (`invalid_grant`)" in page.text
        assert SESSION_COOKIE not in replayer.cookies
    assert _sessions_of(sso, DEMO_GRANTEE) == 1


@pytest.mark.parametrize(
    ("tamper", "said"),
    [
        ({"set": {"aud": "another-client"}}, "aud"),
        ({"set": {"iss": "http://127.0.0.1:1/another-issuer"}}, "iss"),
        ({"set": {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}}, "exp"),
        ({"remove": ["nonce"]}, "nonce"),
        ({"set": {"nonce": "another-login"}}, "nonce"),
        ({"foreign_key": True}, "signature"),
    ],
    ids=["audience", "issuer", "expired", "missing-nonce", "other-nonce", "bad-signature"],
)
def test_id_token_that_is_wrong_in_one_way_is_refused(
    sso: Sso, tamper: dict[str, Any], said: str
) -> None:
    """The provider returns an ID token wrong only in this one claim (or its signature):
    refused with a page naming it, the account unchanged, no session."""
    sso.provider.sign_in_as(DEMO_GRANTEE, tamper=tamper)
    before = _user_props(sso, DEMO_GRANTEE)
    with _browser(sso) as browser:
        page = browser.get("/auth/oidc/login", follow_redirects=True)
        assert page.status_code == 401, page.text
        assert page.url.path == CALLBACK
        assert "ID token" in page.text and said in page.text
        assert SESSION_COOKIE not in browser.cookies
    assert _user_props(sso, DEMO_GRANTEE) == before
    assert _sessions_of(sso, DEMO_GRANTEE) == 0
