"""The access-graph explorer's other answers in a real browser: who could request a
resource (through which flow), a person's blast radius, a saved audit query, and the
read-only Cypher box with its result table (a write is refused beside the box)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from broker import set_first_password
from broker.demo import DEMO_AUDITOR, DEMO_GRANTEE
from tests.browser.conftest import People, Portal


@pytest.fixture
def explorer(people: People, portal: Portal) -> Page:
    if DEMO_AUDITOR not in portal.passwords:  # another module may have set it already
        portal.passwords[DEMO_AUDITOR] = set_first_password(portal.services, user=DEMO_AUDITOR)
    page = people.page()
    page.goto("/audit/graph")
    people.sign_in(page, DEMO_AUDITOR)
    expect(page.get_by_role("heading", name="Access graph")).to_be_visible()
    return page


def test_the_explorer_shows_who_could_request_and_a_blast_radius(explorer: Page) -> None:
    ask = explorer.get_by_role("form", name="Ask the access graph")
    ask.get_by_label("Question").select_option("could")
    ask.get_by_label("Resource", exact=True).fill("pg-prod/orders")
    ask.get_by_role("button", name="Ask").click()
    table = explorer.get_by_role("table", name="Who could request it, and through which flow")
    expect(table).to_contain_text("db-readers")

    ask.get_by_label("Question").select_option("blast")
    ask.get_by_label("Person", exact=True).fill(DEMO_GRANTEE)
    ask.get_by_role("button", name="Ask").click()
    expect(explorer.get_by_role("region", name="Blast radius")).to_contain_text(
        f"{DEMO_GRANTEE} reaches"
    )


def test_the_cypher_box_shows_rows_and_refuses_a_write(explorer: Page) -> None:
    box = explorer.get_by_role("form", name="Run a Cypher query")
    box.get_by_label("Cypher").fill("MATCH (u:User) RETURN u.email AS user ORDER BY user")
    box.get_by_role("button", name="Run query").click()
    expect(explorer.get_by_role("table", name="Query result")).to_contain_text(DEMO_GRANTEE)

    box.get_by_label("Cypher").fill("MATCH (u:User) SET u.role = 'admin' RETURN u")
    box.get_by_role("button", name="Run query").click()
    expect(box.get_by_role("alert")).to_be_visible()
    expect(explorer.get_by_role("table", name="Query result")).to_have_count(0)


def test_a_saved_audit_query_runs_from_the_explorer(explorer: Page) -> None:
    saved = explorer.get_by_role("form", name="Run a saved query")
    choice = saved.get_by_label("Saved query")
    first = choice.locator("option").nth(1).get_attribute("value")
    assert first, "the library of saved queries is empty"
    choice.select_option(first)
    saved.get_by_role("button", name="Run").click()
    answer = explorer.get_by_role("table", name=f"Findings of {first}").or_(
        explorer.get_by_text("No rows.")
    )
    expect(answer).to_be_visible()
