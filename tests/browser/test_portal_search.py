"""The request page in a real browser: search as you type lists what the flows offer, a
choice bounds the duration by its flow, the deny explanation shows before submitting, and
`/requests/<id>` opens through `request(id)` for those who may see it, and for nobody else."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from broker.demo import DEMO_APPROVER, DEMO_GRANTEE
from tests.browser.conftest import People


def test_search_choose_preview_then_request_and_open_its_page(people: People) -> None:
    linus = people.page()
    linus.goto("/request")
    people.sign_in(linus, DEMO_GRANTEE)
    linus.get_by_label("Search what you may request").fill("paym")
    result = linus.get_by_role("listitem", name="pg-prod/payments")
    expect(result).to_contain_text("Read production databases")
    expect(result).to_contain_text("up to 240 min, justification required; grace@acme.example")
    expect(linus.get_by_role("listitem", name="pg-prod/orders")).to_have_count(0)
    people.screenshot(linus, "request-search")

    result.get_by_role("button", name="Choose pg-prod/payments through Read production").click()
    expect(linus.get_by_label("Resource (e.g. pg-prod/orders)")).to_have_value("pg-prod/payments")
    duration = linus.get_by_label(re.compile("Duration in minutes"))
    expect(duration).to_have_value("240")
    expect(duration).to_have_attribute("max", "240")

    # Before anything is sent: the API's preview says why it would be refused.
    preview = linus.get_by_label("Preview of the decision")
    expect(preview).to_contain_text("Would be refused")
    expect(preview).to_contain_text("justification")
    people.screenshot(linus, "request-preview-refused")

    # The flow's maximum bounds the duration: the browser does not send 500 minutes.
    duration.fill("500")
    linus.get_by_label(re.compile("^Justification")).fill("quarter close")
    linus.get_by_role("button", name="Request", exact=True).click()
    assert duration.evaluate("input => input.validity.rangeOverflow")
    expect(linus.get_by_role("status").filter(has_text="Requested")).to_have_count(0)

    duration.fill("120")
    allowed = "Would be allowed by flow Read production databases for 120 min"
    expect(preview).to_contain_text(allowed)
    linus.get_by_role("button", name="Request", exact=True).click()
    made = linus.get_by_role("status").filter(has_text="Requested")
    expect(made).to_contain_text("PENDING")
    made.get_by_role("link", name="pg-prod/payments").click()
    expect(linus).to_have_url(re.compile(r"/requests/req_[0-9a-f]+$"))
    expect(linus.get_by_text("State: PENDING")).to_be_visible()
    link = linus.url

    # The approver opens it from the mail; another grantee gets the not-found page.
    grace = people.page()
    grace.goto(link)
    people.sign_in(grace, DEMO_APPROVER)
    expect(grace.get_by_role("heading", name="pg-prod/payments")).to_be_visible()
    expect(grace.get_by_role("button", name="Approve")).to_be_visible()
    grace.get_by_role("button", name="Reject").click()
    expect(grace.get_by_text("State: REJECTED")).to_be_visible()
    expect(linus.get_by_text("State: REJECTED")).to_be_visible()  # live on the requester's page


def test_nothing_matching_says_so(people: People) -> None:
    linus = people.page()
    linus.goto("/request")
    people.sign_in(linus, DEMO_GRANTEE)
    linus.get_by_label("Search what you may request").fill("no-such-thing")
    expect(linus.get_by_text("Nothing you may request matches “no-such-thing”.")).to_be_visible()
