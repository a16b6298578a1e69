"""Invitations over HTTP: an admin invites over GraphQL, the mail arrives at a real SMTP
server, and its link's page and the accept route set the password; a used or expired link
gets a clear page and changes nothing."""

from __future__ import annotations

import re

import httpx
import pytest

from broker.demo import DEMO_GRANTEE
from broker.notify import Notifier, SmtpMailer
from tests.e2e.conftest import LiveKeyturn
from tests.support.smtp import Smtp
from tests.support.smtp import smtp as smtp  # the real SMTP server fixture

NEW = "nora@corp.example"
PASSWORD = "correct horse battery staple"
INVITE = """
mutation($e: String!, $r: String!) {
  inviteUser(input: {email: $e, fullName: "Nora Quist", role: $r, phone: "+14155550123"}) {
    email fullName phone role status source
  }
}"""
USERS = """
query($s: String!) { users(search: $s) { users { email status source lastSignInAt } } }"""


@pytest.fixture
def mailing(live: LiveKeyturn, smtp: Smtp) -> LiveKeyturn:
    live.services.notifier = Notifier(mailer=SmtpMailer(smtp.url), public_url=live.base_url)
    return live


def _mailed_link(live: LiveKeyturn, smtp: Smtp) -> str:
    assert isinstance(live.services.notifier, Notifier)
    assert live.services.notifier.drain(10)
    (mail,) = smtp.inbox.to(NEW)
    found = re.search(re.escape(live.base_url) + r"/invite/[A-Za-z0-9_-]+", mail.get_content())
    assert found, mail.get_content()
    return found.group(0)


def _invited(live: LiveKeyturn, smtp: Smtp) -> str:
    person = live.admin.data(INVITE, e=NEW, r="grantee")["inviteUser"]
    assert person == {
        "email": NEW,
        "fullName": "Nora Quist",
        "phone": "+14155550123",
        "role": "grantee",
        "status": "INVITED",
        "source": "invite",
    }
    return _mailed_link(live, smtp)


def test_an_invited_person_sets_a_password_through_the_mailed_link_and_signs_in(
    mailing: LiveKeyturn, smtp: Smtp
) -> None:
    refused = mailing.grantee.error(INVITE, e="eve@corp.example", r="admin")
    assert refused["message"] == "only admins may manage users"
    link = _invited(mailing, smtp)
    with httpx.Client(base_url=mailing.base_url, timeout=30) as browser:
        page = browser.get(link)
        assert page.status_code == 200
        assert '<form method="post" action="/auth/invite/accept">' in page.text
        assert "<script" not in page.text and "style" not in page.text
        assert page.headers["cache-control"] == "no-store"
        assert "form-action 'self'" in page.headers["content-security-policy"]
        token = link.rsplit("/", 1)[1]
        short = browser.post("/auth/invite/accept", json={"token": token, "password": "short"})
        assert short.status_code == 400 and "at least 12 characters" in short.json()["error"]
        assert mailing.auditor.data(USERS, s="nora")["users"]["users"][0]["status"] == "INVITED"

        accepted = browser.post("/auth/invite/accept", json={"token": token, "password": PASSWORD})
        assert accepted.status_code == 200, accepted.text
        assert accepted.json() == {"email": NEW, "status": "ACTIVE"}

        again = browser.get(link)
        assert again.status_code == 409
        assert "this invitation was already used: sign in" in again.text
        replay = browser.post("/auth/invite/accept", json={"token": token, "password": PASSWORD})
        assert replay.status_code == 409
        signed_in = browser.post("/auth/login", json={"email": NEW, "password": PASSWORD})
        assert signed_in.status_code == 200, signed_in.text
    (person,) = mailing.auditor.data(USERS, s="nora")["users"]["users"]
    assert (person["status"], person["source"]) == ("ACTIVE", "invite")
    assert person["lastSignInAt"] is not None


def test_the_page_form_sets_the_password_and_an_expired_link_changes_nothing(
    mailing: LiveKeyturn, smtp: Smtp
) -> None:
    link = _invited(mailing, smtp)
    token = link.rsplit("/", 1)[1]
    with httpx.Client(base_url=mailing.base_url, timeout=30) as browser:
        mailing.clock.advance(7 * 24 * 3600)
        expired = browser.get(link)
        assert expired.status_code == 410
        assert "expired: ask your admin to resend it" in expired.text
        late = browser.post("/auth/invite/accept", data={"token": token, "password": PASSWORD})
        assert late.status_code == 410 and "expired" in late.text
        assert mailing.auditor.data(USERS, s="nora")["users"]["users"][0]["status"] == "INVITED"

        smtp.inbox.messages.clear()
        mailing.admin.data('mutation { resendInvite(email: "nora@corp.example") { status } }')
        fresh = _mailed_link(mailing, smtp)
        assert browser.get(link).status_code == 404, "the old link ends with the resend"
        form = {"token": fresh.rsplit("/", 1)[1], "password": PASSWORD}
        done = browser.post("/auth/invite/accept", data=form)
        assert done.status_code == 200
        assert "Your password is set" in done.text
    assert mailing.auditor.data(USERS, s="nora")["users"]["users"][0]["status"] == "ACTIVE"


def test_admins_manage_and_auditors_list_users_over_graphql(mailing: LiveKeyturn) -> None:
    page = mailing.auditor.data("{ users(first: 2) { users { email } endCursor hasNextPage } }")
    assert page["users"]["hasNextPage"] is True
    after = page["users"]["endCursor"]
    rest = mailing.auditor.data(
        "query($a: String!) { users(first: 10, after: $a) { users { email } } }", a=after
    )
    assert len(page["users"]["users"]) + len(rest["users"]["users"]) == 4
    refused = mailing.grantee.error("{ users { users { email } } }")
    assert refused["extensions"]["code"] == "forbidden"
    updated = mailing.admin.data(
        'mutation { updateUser(email: "linus@acme.example", phone: "+4930123") { phone } }'
    )
    assert updated == {"updateUser": {"phone": "+4930123"}}
    bad = mailing.admin.error(
        'mutation { updateUser(email: "linus@acme.example", phone: "030") { phone } }'
    )
    assert bad["extensions"]["code"] == "invalid_input"
    assert mailing.admin.data(f'mutation {{ deleteUser(email: "{DEMO_GRANTEE}") }}') == {
        "deleteUser": []
    }
    assert mailing.grantee.error("{ me { key } }")["extensions"]["code"] == "unauthenticated"
