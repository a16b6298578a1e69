"""The console and the audit views in a real browser: an admin invites a person, edits and
creates flows with their Cedar beside them, issues a token shown once; a grantee opening a
console page gets the admins-only page; an auditor filters and exports the log and draws
who can access a resource."""

from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import Page, expect

from broker import approve_request, request_access, revoke_grant, set_first_password
from broker.demo import DEMO_ADMIN, DEMO_APPROVER, DEMO_AUDITOR, DEMO_GRANTEE
from tests.browser.conftest import People, Portal


@pytest.fixture(scope="module", autouse=True)
def console_people(portal: Portal) -> None:
    for who in (DEMO_ADMIN, DEMO_AUDITOR):
        if who not in portal.passwords:
            portal.passwords[who] = set_first_password(portal.services, user=who)


def _open(people: People, who: str, path: str) -> Page:
    page = people.page()
    page.goto(path)
    people.sign_in(page, who)
    return page


def test_admin_invites_a_person_and_manages_users(people: People) -> None:
    ada = _open(people, DEMO_ADMIN, "/console")
    for tile in ("Requests per day", "Approval time", "Active grants", "Top resources"):
        expect(ada.get_by_role("region", name=tile)).to_be_visible()
    people.screenshot(ada, "dashboard")

    ada.get_by_role("navigation", name="Console").get_by_role("link", name="Users").click()
    invite = ada.get_by_role("form", name="Invite a person")
    invite.get_by_label("Email").fill("new.person@acme.example")
    invite.get_by_label("Full name").fill("New Person")
    invite.get_by_role("button", name="Invite").click()
    expect(invite.get_by_text("Invitation sent to new.person@acme.example.")).to_be_visible()
    ada.get_by_role("search").get_by_label("Search").fill("new.person")
    row = ada.get_by_role("row").filter(has_text="new.person@acme.example")
    expect(row).to_contain_text("INVITED")

    # The directory's view of a person: groups and manager.
    ada.get_by_role("search").get_by_label("Search").fill("linus")
    linus = ada.get_by_role("row").filter(has_text=DEMO_GRANTEE)
    expect(linus).to_contain_text("backend")
    expect(linus).to_contain_text("grace@acme.example")
    people.screenshot(ada, "users")
    linus.get_by_role("button", name="Disable").click()
    expect(linus).to_contain_text("DISABLED")
    linus.get_by_role("button", name="Enable").click()
    expect(linus).to_contain_text("ACTIVE")


def test_admin_edits_a_flow_sees_its_cedar_and_the_apis_validation(people: People) -> None:
    ada = _open(people, DEMO_ADMIN, "/console/flows")
    ada.get_by_role("button", name="Edit db-readers").click()
    cedar = ada.get_by_role("region", name="Compiled Cedar")
    expect(cedar).to_contain_text('@flow("db-readers")')
    expect(cedar).to_contain_text('Integration::"pg-prod"')
    editor = ada.get_by_role("form", name="Access flow editor")
    expect(editor.get_by_label("Key")).to_have_value("db-readers")

    editor.get_by_label("Maximum duration (minutes)").fill("0")
    editor.get_by_role("button", name="Save flow").click()
    expect(editor.get_by_role("alert")).to_contain_text("db-readers")

    ada.get_by_role("button", name="New flow").click()
    editor.get_by_label("Key", exact=True).fill("analytics-sre")
    editor.get_by_label("Name", exact=True).fill("Analytics for SRE")
    editor.get_by_label("Requestor groups").fill("sre")
    editor.get_by_label("Resources", exact=True).fill("pg-prod/analytics")
    editor.get_by_label("Maximum duration (minutes)").fill("90")
    editor.get_by_role("button", name="Save flow").click()
    expect(cedar).to_contain_text('@flow("analytics-sre")')
    expect(cedar).to_contain_text("context.duration_minutes <= 90")
    expect(ada.get_by_role("row").filter(has_text="analytics-sre")).to_contain_text("automatic")

    # Ordered approval steps: the flow is no longer approved automatically.
    ada.get_by_role("button", name="Edit analytics-sre").click()
    editor.get_by_role("button", name="Add a step").click()
    editor.get_by_label("Step 1 groups").fill("sre")
    editor.get_by_role("button", name="Save flow").click()
    expect(ada.get_by_role("row").filter(has_text="analytics-sre")).not_to_contain_text("automatic")
    expect(editor.get_by_label("Step 1 groups")).to_have_value("sre")
    people.screenshot(ada, "flow-editor")


def test_admin_issues_a_token_shown_once_and_revokes_it(people: People) -> None:
    ada = _open(people, DEMO_ADMIN, "/console/tokens")
    form = ada.get_by_role("form", name="Issue a token")
    form.get_by_label("Token name").fill("ci pipeline")
    form.get_by_role("button", name="Issue token").click()
    shown = ada.get_by_role("region", name="New token")
    expect(shown).to_contain_text("shown only once")
    assert len(shown.locator("code").inner_text()) > 20
    ada.get_by_role("button", name="Done").click()
    expect(ada.get_by_role("region", name="New token")).to_have_count(0)
    ada.get_by_role("button", name="Revoke ci pipeline").click()
    expect(ada.get_by_role("row").filter(has_text="ci pipeline")).to_contain_text("revoked")


def test_a_grantee_opening_the_console_gets_the_admins_only_page(people: People) -> None:
    linus = _open(people, DEMO_GRANTEE, "/console/users")
    expect(linus.get_by_role("heading", name="Admins only")).to_be_visible()
    expect(linus.get_by_role("alert")).to_contain_text("signed in as linus@acme.example")
    expect(linus.get_by_role("navigation", name="Console")).to_have_count(0)
    linus.goto("/audit/log")
    expect(linus.get_by_role("heading", name="Admins and auditors only")).to_be_visible()
    people.screenshot(linus, "admins-only")


def test_auditor_filters_and_exports_the_log_and_draws_who_can_access(
    people: People, portal: Portal
) -> None:
    held = request_access(
        portal.services,
        requester=DEMO_GRANTEE,
        resource="pg-prod/orders",
        permissions=["read"],
        duration_minutes=30,
        justification="month end",
    )
    if held.props["state"] == "PENDING":  # decided by the flow that needs Grace
        approve_request(portal.services, approver=DEMO_APPROVER, request=held.key)
    try:
        _audit(people)
    finally:  # the other browser tests start from a grantee who holds nothing
        revoke_grant(portal.services, actor=DEMO_ADMIN, request=held.key)


def _audit(people: People) -> None:
    margaret = _open(people, DEMO_AUDITOR, "/audit/log")
    expect(margaret.get_by_label("Chain status")).to_contain_text("intact")
    margaret.get_by_label("Kind (e.g. request.created)").fill("flow.created")
    margaret.get_by_role("button", name="Filter").click()
    rows = margaret.get_by_role("row").filter(has_text="flow.created")
    expect(rows.first).to_be_visible()
    kinds = margaret.locator("tbody tr td:nth-child(3)").all_inner_texts()
    assert kinds and set(kinds) == {"flow.created"}
    # Reports come from the server: every kind in the range (the last 30 days here).
    with margaret.expect_download() as downloaded:
        margaret.get_by_role("link", name="Download CSV").click()
    table = list(csv.DictReader(io.StringIO(downloaded.value.path().read_text())))
    assert {"flow.created", "request.created"} <= {row["kind"] for row in table}
    with margaret.expect_download() as downloaded:
        margaret.get_by_role("link", name="Download PDF").click()
    assert downloaded.value.path().read_bytes().startswith(b"%PDF")
    people.screenshot(margaret, "activity-log")
    expect(margaret.get_by_role("navigation", name="Console").get_by_role("link")).to_have_text(
        ["Activity log", "Access graph", "GraphQL explorer"]
    )

    margaret.get_by_role("link", name="Access graph").click()
    margaret.get_by_role("textbox", name="Resource").fill("pg-prod/orders")
    margaret.get_by_role("button", name="Ask").click()
    graph = margaret.get_by_role("img", name="Access paths")
    expect(graph).to_be_visible()
    expect(graph).to_contain_text(f"User: {DEMO_GRANTEE}")
    expect(margaret.get_by_role("table")).to_contain_text(re.compile("pg-prod/orders"))

    # Browsing: from Linus to his group, one click at a time.
    margaret.get_by_label("Question").select_option("browse")
    margaret.get_by_label("Node key").fill(DEMO_GRANTEE)
    margaret.get_by_role("button", name="Ask").click()
    expect(margaret.get_by_role("img", name=f"Neighbours of {DEMO_GRANTEE}")).to_be_visible()
    margaret.get_by_role("button", name="Group backend").click()
    expect(margaret.get_by_role("img", name="Neighbours of backend")).to_contain_text("engineering")
    people.screenshot(margaret, "access-graph")


def test_admin_saves_a_forbid_rule_and_a_bad_one_is_refused_beside_the_form(
    people: People, portal: Portal
) -> None:
    ada = _open(people, DEMO_ADMIN, "/console/forbid-rules")
    form = ada.get_by_role("form", name="Save a forbid rule")
    form.get_by_label("Key").fill("no-weekend-pci")
    form.get_by_label("Name").fill("No PCI at weekends")
    form.get_by_label("Tags (comma-separated)").fill("pci")
    form.get_by_label("Days (e.g. sat, sun)").fill("sat, sun")
    form.get_by_label("From (HH:MM)").fill("00:00")
    form.get_by_label("Until (HH:MM)").fill("24:00")
    form.get_by_label("Time zone (IANA)").fill("Nowhere/Atlantis")
    form.get_by_role("button", name="Save rule").click()
    expect(form.get_by_role("alert")).to_contain_text("Nowhere/Atlantis")
    expect(ada.get_by_role("row").filter(has_text="no-weekend-pci")).to_have_count(0)

    form.get_by_label("Time zone (IANA)").fill("Europe/Berlin")
    form.get_by_role("button", name="Save rule").click()
    row = ada.get_by_role("row").filter(has_text="no-weekend-pci")
    expect(row).to_contain_text("tag pci")
    expect(row).to_contain_text("sat, sun 00:00 to 24:00 Europe/Berlin")
    people.screenshot(ada, "forbid-rules")
    row.get_by_role("button", name="Delete no-weekend-pci").click()
    expect(row).to_have_count(0)
    assert "no-weekend-pci" not in portal.services.engine.forbid_rules


def test_admin_sees_saved_bundles_listed_with_items_and_deletes_one(people: People) -> None:
    ada = _open(people, DEMO_ADMIN, "/console/bundles")
    expect(ada.get_by_role("heading", name="Bundles")).to_be_visible()
    form = ada.get_by_role("form", name="Save a bundle")
    form.get_by_label("Key").fill("orders-kit")
    form.get_by_label("Name").fill("Orders kit")
    form.get_by_label("Resources (comma-separated)").fill("pg-prod/orders, pg-prod/analytics")
    form.get_by_role("button", name="Save bundle").click()
    row = ada.get_by_role("row").filter(has_text="orders-kit")
    expect(row).to_contain_text("pg-prod/analytics, pg-prod/orders")
    expect(row).to_contain_text("no flow targets it")
    people.screenshot(ada, "bundles")

    ada.reload()  # listed by the API, not remembered by the page
    row.get_by_role("button", name="Edit orders-kit").click()
    expect(form.get_by_label("Name")).to_have_value("Orders kit")
    form.get_by_role("button", name="Delete bundle").click()
    expect(row).to_have_count(0)
