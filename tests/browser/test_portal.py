"""The portal in a real browser: sign-in and back, a refused request with the API's
explanation, the approver's inbox and the mail link, then the grantee's access used,
extended and given back."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from broker.demo import DEMO_APPROVER, DEMO_GRANTEE
from tests.browser.conftest import People, Portal


def test_a_signed_out_person_signs_in_and_lands_where_they_were_going(people: People) -> None:
    page = people.page()
    page.goto("/approvals")
    expect(page).to_have_url(re.compile(r"/signin\?next=%2Fapprovals$"))
    expect(page.get_by_role("heading", name="Sign in to Keyturn")).to_be_visible()
    # The budget for the portal's first load on localhost: one second.
    loaded = page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
    assert 0 < loaded <= 1000, f"the first load took {loaded:.0f} ms"
    people.screenshot(page, "sign-in")
    people.sign_in(page, DEMO_GRANTEE)
    expect(page).to_have_url(re.compile(r"/approvals$"))
    expect(page.get_by_role("heading", name="Approvals")).to_be_visible()
    expect(page.get_by_text("Nothing is waiting for your approval.")).to_be_visible()

    # The session ends behind the page's back: the next call returns to sign-in, and back.
    page.context.clear_cookies()
    page.get_by_role("link", name="My requests").click()
    expect(page).to_have_url(re.compile(r"/signin\?next=%2Frequests$"))
    people.sign_in(page, DEMO_GRANTEE)
    expect(page.get_by_role("heading", name="My requests")).to_be_visible()


def test_a_wrong_password_shows_the_apis_answer_beside_the_form(people: People) -> None:
    page = people.page()
    page.goto("/signin")
    page.get_by_label("Email").fill(DEMO_APPROVER)
    page.get_by_label("Password").fill("not-the-password-at-all")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("the email or the password is wrong")
    expect(page).to_have_url(re.compile(r"/signin$"))


def _request(page: Page, resource: str, justification: str) -> None:
    page.get_by_label("Resource (e.g. pg-prod/orders)").fill(resource)
    page.get_by_label("Duration in minutes").fill("60")
    page.get_by_label("Justification").fill(justification)
    page.get_by_role("button", name="Request", exact=True).click()


def test_request_refused_then_approved_then_used_extended_and_given_back(
    people: People, portal: Portal
) -> None:
    linus = people.page()
    linus.goto("/request")
    people.sign_in(linus, DEMO_GRANTEE)
    expect(linus.get_by_role("heading", name="Request access")).to_be_visible()

    # No justification: the flow refuses, and the page shows the API's explanation.
    _request(linus, "pg-prod/payments", "")
    refusal = linus.get_by_role("alert")
    expect(refusal).to_contain_text("`pg-prod/payments`")
    expect(refusal).to_contain_text("justification")
    people.screenshot(linus, "request-refused")

    _request(linus, "pg-prod/payments", "incident 4711: reconcile a failed payout")
    requested = linus.get_by_role("status").filter(has_text="pg-prod/payments")
    expect(requested).to_contain_text("PENDING")
    link = requested.get_by_role("link", name="pg-prod/payments").get_attribute("href")
    assert link is not None and link.startswith("/requests/")

    # The approver follows the mail's link while signed out: sign-in, then the request.
    grace = people.page()
    grace.goto(link)
    people.sign_in(grace, DEMO_APPROVER)
    expect(grace).to_have_url(re.compile(re.escape(link) + "$"))
    expect(grace.get_by_role("heading", name="pg-prod/payments")).to_be_visible()
    expect(grace.get_by_text("incident 4711: reconcile a failed payout")).to_be_visible()

    grace.get_by_role("link", name="Approvals").click()
    card = grace.get_by_role("listitem").filter(has_text="pg-prod/payments")
    expect(card).to_contain_text(DEMO_GRANTEE)
    card.get_by_label(re.compile("reason for")).fill("ok for the incident")
    people.screenshot(grace, "approvals")
    card.get_by_role("button", name="Approve").click()
    expect(grace.get_by_text("Nothing is waiting for your approval.")).to_be_visible()

    linus.get_by_role("link", name="My access").click()
    grant = linus.get_by_role("listitem").filter(has_text="pg-prod/payments")
    expect(grant).to_contain_text(re.compile(r"\d+ min \d+ s left"))
    grant.get_by_role("button", name="Reveal access details").click()
    expect(grant.get_by_label("Access details for pg-prod/payments")).to_be_visible()
    people.screenshot(linus, "my-access")

    grant.get_by_label("Extend by minutes").fill("30")
    grant.get_by_role("button", name="Extend").click()
    expect(grant).to_contain_text(re.compile(r"1 h \d+ min left"))

    grant.get_by_role("button", name="Give back").click()
    expect(linus.get_by_text("You hold no access right now.")).to_be_visible()

    linus.goto(link)
    expect(linus.get_by_text("State: REVOKED")).to_be_visible()
    linus.get_by_role("link", name="My requests").click()
    row = linus.get_by_role("row").filter(has_text="pg-prod/payments")
    expect(row).to_contain_text("REVOKED")
