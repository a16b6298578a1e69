"""An invitation end to end in a real browser, with the mail read from a real SMTP server:
the admin invites on the console's Users page, the person follows the mailed link, sets a
password, signs in through the app and gets the portal, not the console."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from broker import set_first_password
from broker.demo import DEMO_ADMIN
from broker.identities.invitations import INVITE_PATH
from tests.browser.conftest import People, Portal

_INVITEE = "invited.in.browser@acme.example"
_PASSWORD = "a long enough password 42"


@pytest.fixture(scope="module", autouse=True)
def admin_password(portal: Portal) -> None:
    if DEMO_ADMIN not in portal.passwords:
        portal.passwords[DEMO_ADMIN] = set_first_password(portal.services, user=DEMO_ADMIN)


def _invitation_path(portal: Portal, address: str) -> str:
    """The path of the one invitation link mailed to `address`."""
    bodies = portal.mails_to(address)
    assert len(bodies) == 1, bodies
    found = re.search(rf"https?://[^/\s]+({re.escape(INVITE_PATH)}[\w.~-]+)", bodies[0])
    assert found, bodies[0]
    return found.group(1)


def test_an_invited_person_sets_a_password_from_the_mail_and_signs_in_to_the_portal(
    people: People, portal: Portal
) -> None:
    ada = people.page()
    ada.goto("/console/users")
    people.sign_in(ada, DEMO_ADMIN)
    invite = ada.get_by_role("form", name="Invite a person")
    invite.get_by_label("Email").fill(_INVITEE)
    invite.get_by_label("Full name").fill("Invited In Browser")
    invite.get_by_role("button", name="Invite").click()
    expect(invite.get_by_text(f"Invitation sent to {_INVITEE}.")).to_be_visible()

    newcomer = people.page()
    newcomer.goto(_invitation_path(portal, _INVITEE))
    newcomer.get_by_label("Password").fill(_PASSWORD)
    newcomer.get_by_role("button", name="Set password").click()
    expect(newcomer.get_by_role("heading", name="Your Keyturn account is ready")).to_be_visible()
    people.screenshot(newcomer, "invitation-accepted")

    # The page's link leads into the app, which sends a signed-out person to its sign-in.
    newcomer.get_by_role("link", name="sign in").click()
    expect(newcomer).to_have_url(re.compile(r"/signin"))
    newcomer.get_by_label("Email").fill(_INVITEE)
    newcomer.get_by_label("Password").fill(_PASSWORD)
    newcomer.get_by_role("button", name="Sign in").click()
    expect(newcomer.get_by_role("heading", name="My access")).to_be_visible()
    expect(newcomer.get_by_role("navigation", name="Portal")).to_be_visible()
    expect(newcomer.get_by_role("navigation", name="Console")).to_have_count(0)

    newcomer.goto("/console/users")
    expect(newcomer.get_by_role("heading", name="Admins only")).to_be_visible()
    expect(newcomer.get_by_role("alert")).to_contain_text(f"signed in as {_INVITEE}")
    people.screenshot(newcomer, "invitee-admins-only")
