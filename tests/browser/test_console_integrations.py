"""The integrations console page in a real browser: an admin creates a PostgreSQL
integration whose password is never shown again, sees the API refuse bad settings beside
the form, tests and syncs it against a server that is not there (the report, and the failed
status with its error in the list), lists the demo integration's resources and deletes the
new one. Deleting with active grants (`force`) is pinned over the API in tests/e2e."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from broker import set_first_password
from broker.demo import DEMO_ADMIN
from tests.browser.conftest import People, Portal
from tests.support.http_server import free_port

PASSWORD = "never-shown-again-7f3a"


@pytest.fixture(scope="module", autouse=True)
def admin_password(portal: Portal) -> None:
    if DEMO_ADMIN not in portal.passwords:
        portal.passwords[DEMO_ADMIN] = set_first_password(portal.services, user=DEMO_ADMIN)


def test_admin_creates_tests_syncs_and_deletes_an_integration(
    people: People, portal: Portal
) -> None:
    ada = people.page()
    ada.goto("/console/integrations")
    people.sign_in(ada, DEMO_ADMIN)
    table = ada.get_by_role("table", name="Integrations")
    expect(table.get_by_role("row").filter(has_text="pg-prod")).to_contain_text("postgresql")

    ada.get_by_role("button", name="Resources of pg-prod").click()
    expect(ada.get_by_role("region", name="Resources of pg-prod")).to_contain_text(
        "pg-prod/payments"
    )

    ada.get_by_role("button", name="New integration").click()
    form = ada.get_by_role("form", name="New integration")
    form.get_by_label("Key").fill("pg-gone")
    form.get_by_label("Name").fill("A server that is not there")
    form.get_by_label("Type").fill("postgresql")
    settings = {"host": "127.0.0.1", "port": free_port(), "admin_user": "keyturn_admin"}
    form.get_by_label("Settings (JSON, no secrets)").fill(json.dumps(settings))
    form.get_by_label("Admin password").fill(PASSWORD)
    form.get_by_role("button", name="Save integration").click()
    expect(form.get_by_role("alert")).to_contain_text("needs `roles`")  # the API's words

    settings["roles"] = {"read": "pg_read_all_data"}
    form.get_by_label("Settings (JSON, no secrets)").fill(json.dumps(settings))
    form.get_by_role("button", name="Save integration").click()
    row = table.get_by_role("row").filter(has_text="pg-gone")
    expect(row).to_contain_text("never synced")

    # Editing shows the settings but never the password.
    ada.get_by_role("button", name="Edit pg-gone").click()
    editor = ada.get_by_role("form", name="Edit pg-gone")
    expect(editor.get_by_label("Settings (JSON, no secrets)")).to_contain_text("pg_read_all_data")
    expect(editor.get_by_label("Admin password (empty: keep the stored one)")).to_have_value("")
    assert PASSWORD not in ada.content()
    editor.get_by_role("button", name="Cancel").click()

    ada.get_by_role("button", name="Test pg-gone").click()
    expect(ada.get_by_role("status", name="Test of pg-gone")).to_contain_text("Not working")
    ada.get_by_role("button", name="Sync pg-gone").click()
    expect(ada.get_by_role("alert")).to_be_visible()
    expect(row).to_contain_text("failed")
    people.screenshot(ada, "integrations")

    ada.get_by_role("button", name="Delete pg-gone").click()
    expect(ada.get_by_role("status")).to_contain_text("Deleted pg-gone")
    expect(table.get_by_role("row").filter(has_text="pg-gone")).to_have_count(0)
