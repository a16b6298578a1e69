"""Two-factor sign-in in a real browser: a person adds an authenticator app on the Security
page (the code computed with pyotp from the secret the page shows), keeps the recovery codes,
signs out and back in with password and code; then approves a request whose flow asks
approvers for a code, refused without one as the API says, accepted with one."""

from __future__ import annotations

import re
import time

import pyotp
from playwright.sync_api import Page, expect

from broker import request_access, revoke_grant, save_access_flow, set_first_password
from broker.demo import DEMO_ADMIN, DEMO_GRANTEE
from graph import UpsertNode
from policies.flows import AccessFlow
from tests.browser.conftest import People, Portal

MIA = "mia@acme.example"
FLOW = AccessFlow(
    key="analytics-writers",
    name="Write analytics, approved with a code",
    requestor_users=(DEMO_GRANTEE,),
    resources=("pg-prod/analytics",),
    permissions=("write",),
    approvers=(MIA,),
    approver_mfa=True,
)
STEP = 30


def _add_mia(portal: Portal) -> None:
    """A local account of its own, so enrolling MFA changes no one another test signs in as."""
    now = portal.services.clock()
    person = {"email": MIA, "name": "Mia Approver", "role": "grantee", "created_at": now}
    portal.services.store.write([UpsertNode("User", MIA, person)])
    portal.passwords[MIA] = set_first_password(portal.services, user=MIA)
    save_access_flow(portal.services, actor=DEMO_ADMIN, flow=FLOW)


def _first_step() -> int:
    """The TOTP step to confirm with: the one before now, so the next two steps (sign-in,
    approval) are each still inside the server's window of one step either way. Each code
    is accepted once, so every use needs a later step; away from a step's end."""
    if time.time() % STEP > STEP - 5:
        time.sleep(STEP - time.time() % STEP + 0.5)
    return int(time.time() // STEP) - 1


def _enrol(people: People, page: Page, step: int) -> pyotp.TOTP:
    page.get_by_role("link", name="Security").click()
    page.get_by_role("button", name="Add an authenticator app").click()
    secret = page.get_by_label("Secret").inner_text().strip()
    uri = page.get_by_role("link", name=re.compile("otpauth"))
    expect(uri).to_contain_text(f"secret={secret}")
    totp = pyotp.TOTP(secret)
    page.get_by_label("Code from the app").fill(totp.at(step * STEP))
    people.screenshot(page, "security-enrol")
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    codes = page.get_by_role("region", name="Recovery codes").get_by_role("listitem")
    expect(codes).to_have_count(10)
    return totp


def test_a_person_enrols_a_second_factor_signs_in_with_it_and_approves_with_a_code(
    people: People, portal: Portal
) -> None:
    _add_mia(portal)
    asked = request_access(
        portal.services,
        requester=DEMO_GRANTEE,
        resource="pg-prod/analytics",
        permissions=["write"],
        duration_minutes=30,
    )
    step = _first_step()
    mia = people.page()
    mia.goto("/security")
    people.sign_in(mia, MIA)
    totp = _enrol(people, mia, step)

    mia.get_by_role("button", name="Sign out").click()
    expect(mia).to_have_url(re.compile(r"/signin"))
    people.sign_in(mia, MIA)
    code = mia.get_by_label(re.compile("Code from your authenticator app"))
    code.fill(totp.at((step + 1) * STEP))
    mia.get_by_role("button", name="Sign in").click()
    expect(mia.get_by_role("heading", name="Security")).to_be_visible()

    mia.get_by_role("link", name="Approvals").click()
    card = mia.get_by_role("listitem").filter(has_text="pg-prod/analytics")
    card.get_by_role("button", name="Approve").click()  # no code: the API refuses
    expect(card.get_by_role("alert")).to_contain_text("code from your authenticator app")
    assert portal.services.store.get_node("AccessRequest", asked.key).props["state"] == "PENDING"
    card.get_by_label(re.compile("Authenticator code")).fill(totp.at((step + 2) * STEP))
    card.get_by_role("button", name="Approve").click()
    expect(mia.get_by_text("Nothing is waiting for your approval.")).to_be_visible()
    state = portal.services.store.get_node("AccessRequest", asked.key).props["state"]
    assert state in ("APPROVED", "GRANTED")
    # The other browser tests start from a grantee who holds nothing.
    revoke_grant(portal.services, actor=DEMO_ADMIN, request=asked.key)
