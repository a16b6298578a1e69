"""The console's GraphQL explorer in a real browser: GraphiQL comes from Keyturn itself (an
offline install has no CDN), runs a query as the signed-in person, and is kept from grantees."""

from __future__ import annotations

import pytest
from playwright.sync_api import Request, expect

from broker import set_first_password
from broker.demo import DEMO_AUDITOR, DEMO_GRANTEE
from tests.browser.conftest import People, Portal


@pytest.fixture(scope="module", autouse=True)
def auditor_password(portal: Portal) -> None:
    if DEMO_AUDITOR not in portal.passwords:
        portal.passwords[DEMO_AUDITOR] = set_first_password(portal.services, user=DEMO_AUDITOR)


def test_an_auditor_runs_a_query_in_the_explorer_served_from_keyturn_only(
    people: People, portal: Portal
) -> None:
    page = people.page()
    fetched: list[str] = []
    page.on("request", lambda sent: fetched.append(sent.url) if _is_remote(sent) else None)
    page.goto("/console/graphql")
    people.sign_in(page, DEMO_AUDITOR)
    expect(page.get_by_role("heading", name="GraphQL explorer")).to_be_visible()

    editor = page.locator(".graphiql-query-editor .monaco-editor").first
    editor.click()
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.press("Delete")
    # insert_text, not typing: the editor would close each brace typed a second time.
    page.keyboard.insert_text("{ me { email } }")
    page.get_by_role("button", name="Execute query").click()
    answer = page.locator(".graphiql-response")
    expect(answer).to_contain_text(f'"email": "{DEMO_AUDITOR}"')
    people.screenshot(page, "graphql-explorer")
    assert [url for url in fetched if not url.startswith(portal.url)] == []


def test_a_grantee_opening_the_explorer_gets_the_admins_and_auditors_only_page(
    people: People,
) -> None:
    page = people.page()
    page.goto("/console/graphql")
    people.sign_in(page, DEMO_GRANTEE)
    expect(page.get_by_role("heading", name="Admins and auditors only")).to_be_visible()


def _is_remote(sent: Request) -> bool:
    return sent.url.startswith(("http://", "https://"))
