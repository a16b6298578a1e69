"""The webhooks console page in a real browser: an admin adds a webhook (its signing secret
shown once), sees a refused URL explained beside the edit form with nothing changed, edits
its name and events without retyping the URL (never shown again), pauses and resumes it in
one click, and finds each change still there after a reload, the stored URL unchanged."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect

from broker import list_webhooks, set_first_password
from broker.demo import DEMO_ADMIN
from broker.grants.secrets import unseal
from tests.browser.conftest import People, Portal

URL = "https://hooks.example.com/keyturn/t0ken-in-the-path"


@pytest.fixture(scope="module", autouse=True)
def admin_password(portal: Portal) -> None:
    if DEMO_ADMIN not in portal.passwords:
        portal.passwords[DEMO_ADMIN] = set_first_password(portal.services, user=DEMO_ADMIN)


def _row(page: Page, name: str) -> Locator:
    return page.get_by_role("table", name="Webhooks").get_by_role("row").filter(has_text=name)


def _stored_url(portal: Portal, name: str) -> str:
    found = [w for w in list_webhooks(portal.services, actor=DEMO_ADMIN) if w.props["name"] == name]
    assert len(found) == 1, found
    return unseal(str(found[0].props["url"]))


def test_admin_adds_edits_and_pauses_a_webhook_and_the_changes_survive_a_reload(
    people: People, portal: Portal
) -> None:
    ada = people.page()
    ada.goto("/console/webhooks")
    people.sign_in(ada, DEMO_ADMIN)
    add = ada.get_by_role("form", name="Add a webhook")
    add.get_by_label("Name").fill("chat-ops")
    add.get_by_label("URL").fill(URL)
    add.get_by_role("button", name="Add webhook").click()
    expect(ada.get_by_role("region", name="Signing secret")).to_contain_text("whsec_")
    row = _row(ada, "chat-ops")
    expect(row).to_contain_text("enabled")
    expect(row).not_to_contain_text("t0ken-in-the-path")

    # A URL the server refuses: the reason beside the form, the stored webhook unchanged.
    ada.get_by_role("button", name="Edit chat-ops").click()
    editor = ada.get_by_role("form", name="Edit chat-ops")
    editor.get_by_label("Name").fill("chat-ops-renamed")
    editor.get_by_label("New URL (optional)").fill("http://127.0.0.1:9/hook")
    editor.get_by_role("button", name="Save changes").click()
    expect(editor.get_by_role("alert")).to_contain_text("webhook url")
    expect(_row(ada, "chat-ops")).to_contain_text("https://hooks.example.com")

    editor.get_by_label("New URL (optional)").fill("")  # left empty: the stored URL stays
    editor.get_by_label("Revoked").check()
    editor.get_by_role("button", name="Save changes").click()
    expect(ada.get_by_role("status").filter(has_text="Saved chat-ops-renamed")).to_be_visible()
    renamed = _row(ada, "chat-ops-renamed")
    expect(renamed).to_contain_text("Granted, Revoked")
    assert _stored_url(portal, "chat-ops-renamed") == URL

    # Pause and resume: one click each, nothing to type.
    ada.get_by_role("button", name="Pause chat-ops-renamed").click()
    expect(renamed).to_contain_text("paused")
    ada.get_by_role("button", name="Resume chat-ops-renamed").click()
    expect(renamed).to_contain_text("enabled")
    ada.get_by_role("button", name="Pause chat-ops-renamed").click()
    expect(ada.get_by_role("status").filter(has_text="Paused chat-ops-renamed")).to_be_visible()
    expect(renamed).to_contain_text("paused")
    assert _stored_url(portal, "chat-ops-renamed") == URL

    ada.reload()
    renamed = _row(ada, "chat-ops-renamed")
    expect(renamed).to_contain_text("paused")
    expect(renamed).to_contain_text("Granted, Revoked")
    expect(renamed).to_contain_text("https://hooks.example.com")
    expect(ada.get_by_role("button", name="Resume chat-ops-renamed")).to_be_visible()
    people.screenshot(ada, "webhooks")

    # Leave the shared Keyturn as it was.
    ada.get_by_role("button", name="Delete chat-ops-renamed").click()
    expect(ada.get_by_text("No webhook.")).to_be_visible()
