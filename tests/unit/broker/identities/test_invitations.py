"""Invitations: an admin invites a person, the mail arrives through a real SMTP server, and its
single-use link (stored only hashed, expiring after 7 days) lets them set a password."""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler

import pytest

from broker import Forbidden, InvalidInput, NotFound, Services, StateConflict, audit
from broker.demo import DEMO_ADMIN, DEMO_AUDITOR, DEMO_GRANTEE
from broker.identities.disable_user import disable_user
from broker.identities.invitations import (
    REFUSALS,
    InviteState,
    accept_invite,
    invite_user,
    look_up_invite,
    resend_invite,
    revoke_invite,
)
from broker.identities.passwords import password_matches
from broker.notify import Notifier, SmtpMailer, Webhook
from broker.outbound import Outbound
from graph import Node
from tests.support.clock import ManualClock
from tests.support.http_server import handling
from tests.support.smtp import Smtp

PUBLIC = "https://keyturn.test"
NEW = "nora@corp.example"
PASSWORD = "correct horse battery staple"
_LINK = re.compile(re.escape(PUBLIC) + r"/invite/([A-Za-z0-9_-]+)")


@pytest.fixture
def mailing(services: Services, smtp: Smtp) -> Services:
    services.notifier = Notifier(mailer=SmtpMailer(smtp.url), public_url=PUBLIC)
    return services


def _user(services: Services, key: str = NEW) -> Node:
    node = services.store.get_node("User", key)
    assert node is not None
    return node


def _invite(services: Services, email: str = NEW, **extra: str) -> Node:
    return invite_user(
        services, actor=DEMO_ADMIN, email=email, full_name="Nora Quist", role="grantee", **extra
    )


def _mailed_token(services: Services, smtp: Smtp, to: str = NEW) -> str:
    """The token of the last invitation mailed to `to`, read from the SMTP server."""
    assert isinstance(services.notifier, Notifier)
    assert services.notifier.drain(10)
    mails = smtp.inbox.to(to)
    assert mails, f"no mail reached {to}"
    body = mails[-1].get_content()
    found = _LINK.search(body)
    assert found, body
    return found.group(1)


def _event_kinds(services: Services) -> list[str]:
    return [e.kind for e in audit.read_events(services.store)]


def test_an_invited_person_sets_a_password_from_the_mailed_link(
    mailing: Services, smtp: Smtp
) -> None:
    """invite -> INVITED with source invite -> mail with the link first -> accept -> ACTIVE."""
    _invite(mailing, phone="+14155550123")
    invited = _user(mailing)
    assert (invited.props["status"], invited.props["source"]) == ("INVITED", "invite")
    assert invited.props["phone"] == "+14155550123"
    assert "password_hash" not in invited.props
    token = _mailed_token(mailing, smtp)
    (mail,) = smtp.inbox.to(NEW)
    assert mail.get_content().startswith(f"Set your password and sign in: {PUBLIC}/invite/{token}")
    assert len(token) >= 43  # 32 random bytes: 256 bits
    (stored,) = mailing.store.find_nodes("Invite")
    assert token not in stored.key and token not in str(stored.props)

    user = accept_invite(mailing, token=token, password=PASSWORD)

    assert user.props["status"] == "ACTIVE"
    accepted = _user(mailing)
    assert accepted.props["status"] == "ACTIVE"
    assert password_matches(accepted.props["password_hash"], PASSWORD)
    assert look_up_invite(mailing, token).state is InviteState.USED
    events = [e for e in audit.read_events(mailing.store) if e.subject == NEW]
    assert [e.kind for e in events] == ["user.invited", "user.invite_accepted"]
    assert all(token not in str(e.data) for e in events)


def test_a_used_link_is_refused_and_changes_nothing(mailing: Services, smtp: Smtp) -> None:
    _invite(mailing)
    token = _mailed_token(mailing, smtp)
    accept_invite(mailing, token=token, password=PASSWORD)
    before, kinds = _user(mailing), _event_kinds(mailing)
    with pytest.raises(StateConflict, match="already used: sign in"):
        accept_invite(mailing, token=token, password="another long password")
    assert _user(mailing) == before
    assert _event_kinds(mailing) == kinds


def test_an_expired_link_is_refused_and_changes_nothing(
    mailing: Services, smtp: Smtp, clock: ManualClock
) -> None:
    _invite(mailing)
    token = _mailed_token(mailing, smtp)
    clock.advance(7 * 24 * 3600 - 1)
    assert look_up_invite(mailing, token).state is InviteState.OPEN
    clock.advance(1)
    before = _user(mailing)
    with pytest.raises(Forbidden, match="expired: ask your admin to resend it"):
        accept_invite(mailing, token=token, password=PASSWORD)
    assert _user(mailing) == before
    assert "password_hash" not in before.props


def test_a_resent_invitation_replaces_the_old_link(mailing: Services, smtp: Smtp) -> None:
    _invite(mailing)
    old = _mailed_token(mailing, smtp)
    resend_invite(mailing, actor=DEMO_ADMIN, email=NEW)
    new = _mailed_token(mailing, smtp)
    assert new != old
    with pytest.raises(NotFound, match="not valid"):
        accept_invite(mailing, token=old, password=PASSWORD)
    assert _user(mailing).props["status"] == "INVITED"
    accept_invite(mailing, token=new, password=PASSWORD)
    assert _user(mailing).props["status"] == "ACTIVE"


def test_a_revoked_link_reads_like_an_unknown_one_and_changes_nothing(
    mailing: Services, smtp: Smtp
) -> None:
    _invite(mailing)
    token = _mailed_token(mailing, smtp)
    revoke_invite(mailing, actor=DEMO_ADMIN, email=NEW)
    before = _user(mailing)
    with pytest.raises(NotFound) as revoked:
        accept_invite(mailing, token=token, password=PASSWORD)
    with pytest.raises(NotFound) as unknown:
        accept_invite(mailing, token="x" * 43, password=PASSWORD)
    assert str(revoked.value) == str(unknown.value) == REFUSALS[InviteState.INVALID]
    assert _user(mailing) == before
    with pytest.raises(StateConflict, match="no invitation to revoke"):
        revoke_invite(mailing, actor=DEMO_ADMIN, email=NEW)


def test_a_password_that_breaks_the_rule_is_refused_and_the_link_still_works(
    mailing: Services, smtp: Smtp
) -> None:
    _invite(mailing)
    token = _mailed_token(mailing, smtp)
    with pytest.raises(InvalidInput, match="at least 12 characters"):
        accept_invite(mailing, token=token, password="short")
    assert _user(mailing).props["status"] == "INVITED"
    accept_invite(mailing, token=token, password=PASSWORD)


@pytest.mark.parametrize("email", [DEMO_GRANTEE, DEMO_GRANTEE.upper()])
def test_an_invitation_for_an_existing_email_is_refused(services: Services, email: str) -> None:
    before = _user(services, DEMO_GRANTEE)
    with pytest.raises(StateConflict, match="is a user already"):
        _invite(services, email=email)
    assert _user(services, DEMO_GRANTEE) == before
    assert services.store.find_nodes("Invite") == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "nora", "is not an address"),
        ("email", "nora@corp", "is not an address"),
        ("email", "no ra@corp.example", "is not an address"),
        ("email", "a" * 400 + "@corp.example", "more than the 320 allowed"),
        ("phone", "4155550123", r"not in E\.164 form"),
        ("phone", "+1 415 555 0123", r"not in E\.164 form"),
        ("phone", "+0123456", r"not in E\.164 form"),
        ("phone", "+1234567890123456", r"not in E\.164 form"),
        ("full_name", "  ", "full name is empty"),
        ("role", "root", "role `root` is unknown"),
    ],
)
def test_malformed_input_is_refused_and_nothing_is_written(
    services: Services, field: str, value: str, message: str
) -> None:
    given = {"email": NEW, "full_name": "Nora Quist", "role": "grantee", "phone": "+14155550123"}
    given[field] = value
    users, kinds = services.store.find_nodes("User"), _event_kinds(services)
    with pytest.raises(InvalidInput, match=message):
        invite_user(services, actor=DEMO_ADMIN, **given)
    assert services.store.find_nodes("User") == users
    assert services.store.find_nodes("Invite") == []
    assert _event_kinds(services) == kinds


@pytest.mark.parametrize("actor", [DEMO_AUDITOR, DEMO_GRANTEE])
def test_only_admins_invite_resend_or_revoke(services: Services, actor: str) -> None:
    with pytest.raises(Forbidden, match="only admins may manage users"):
        invite_user(services, actor=actor, email=NEW, full_name="Nora", role="admin")
    assert services.store.get_node("User", NEW) is None
    _invite(services)
    for operation in (resend_invite, revoke_invite):
        with pytest.raises(Forbidden, match="only admins may manage users"):
            operation(services, actor=actor, email=NEW)
    assert len(services.store.find_nodes("Invite")) == 1


def test_two_accepts_of_one_link_at_once_set_one_password(mailing: Services, smtp: Smtp) -> None:
    _invite(mailing)
    token = _mailed_token(mailing, smtp)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def accept(password: str) -> None:
        barrier.wait()
        try:
            accept_invite(mailing, token=token, password=password)
            outcomes.append(password)
        except StateConflict:
            outcomes.append("refused")

    passwords = ("first long password", "second long password")
    threads = [threading.Thread(target=accept, args=(p,)) for p in passwords]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    (winner,) = [o for o in outcomes if o != "refused"]
    assert outcomes.count("refused") == 1
    assert password_matches(_user(mailing).props["password_hash"], winner)
    accepted = [e for e in audit.read_events(mailing.store) if e.kind == "user.invite_accepted"]
    assert len(accepted) == 1


def test_the_invitation_link_never_reaches_a_webhook(services: Services, smtp: Smtp) -> None:
    """Webhooks subscribe to every event by default; the invitation (a secret link) is
    mailed to the person only."""
    posts: list[bytes] = []

    class _Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            posts.append(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return None

    with handling(_Hook) as port:
        hook = Webhook.from_config({"url": f"http://127.0.0.1:{port}/hook", "secret": "s3"})
        services.notifier = Notifier(
            mailer=SmtpMailer(smtp.url),
            webhooks=[hook],
            public_url=PUBLIC,
            outbound=Outbound(allow_private=True),
        )
        _invite(services)
        token = _mailed_token(services, smtp)
    assert posts == []
    assert token


def test_a_disabled_invited_person_cannot_accept(mailing: Services, smtp: Smtp) -> None:
    _invite(mailing)
    token = _mailed_token(mailing, smtp)
    disable_user(mailing, actor=DEMO_ADMIN, user=NEW)
    with pytest.raises(Forbidden, match="is disabled: ask your admin"):
        accept_invite(mailing, token=token, password=PASSWORD)
    assert "password_hash" not in _user(mailing).props
    assert look_up_invite(mailing, token).state is InviteState.OPEN
