"""An external person's whole path through an access link in a real browser: the admin
creates the link over GraphQL, the person gives name and email, types the code read from
the real SMTP server, asks for a database on a real PostgreSQL, the approver approves in
the inbox, and the person sees GRANTED and reveals a login that really connects. Links that
cannot be used get a page that says why; a session through one link is not another's."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import psycopg
import pytest
from playwright.sync_api import Page, expect

from broker import issue_api_token, revoke_grant, save_access_flow
from broker.demo import DEMO_ADMIN, DEMO_APPROVER
from policies.flows import AccessFlow
from tests.browser.conftest import People, Portal
from tests.support.postgres_server import Postgres, running_postgres

PARTNER = "pat@partner.example"
INTEGRATION = "pg-partner"
ORDERS = f"{INTEGRATION}/orders"  # the database `orders`, as the integration's sync names it
FLOW = AccessFlow(
    key="partner-orders",
    name="Partners read orders",
    external=True,
    trigger="link",
    resources=(ORDERS,),
    permissions=("read",),
    max_duration_minutes=120,
    justification_required=True,
    approvers=(DEMO_APPROVER,),
)
CREATE = """
mutation($f: String!, $e: DateTime!) {
  createAccessLink(flow: $f, expiresAt: $e, maxUses: 3, allowedEmailDomains: ["partner.example"]) {
    url
  }
}"""
SAVE = "mutation($i: IntegrationInput!) { saveIntegration(integration: $i) { key } }"
SYNC = "mutation($k: String!) { syncIntegration(key: $k) { databases } }"
DELETE = "mutation($k: String!) { deleteIntegration(key: $k, force: false) }"


def _graphql(portal: Portal, query: str, **variables: Any) -> dict[str, Any]:
    """`query`'s data, asked by the demo admin with an API token."""
    token = issue_api_token(portal.services, owner=DEMO_ADMIN, name="browser test links")
    answer = httpx.post(
        f"{portal.url}/graphql",
        json={"query": query, "variables": variables},
        headers={"authorization": f"Bearer {token}"},
        timeout=30,
    ).json()
    assert not answer.get("errors"), answer
    return dict(answer["data"])


@pytest.fixture(scope="module")
def orders_db(portal: Portal) -> Iterator[Postgres]:
    """A real PostgreSQL holding database `orders`, saved and synced as integration
    INTEGRATION over GraphQL, and FLOW over its `orders`; the integration is deleted after
    the module, so the other browser tests see the demo's integrations only."""
    with running_postgres() as pg:
        with pg.connect() as admin:
            admin.execute("CREATE DATABASE orders")
        config = {
            "host": pg.host,
            "port": pg.port,
            "admin_user": pg.admin,
            "admin_password": pg.password,
            "roles": {"read": "pg_read_all_data"},
        }
        integration = {"key": INTEGRATION, "name": "Partner orders", "type": "postgresql"}
        _graphql(portal, SAVE, i={**integration, "config": config})
        assert _graphql(portal, SYNC, k=INTEGRATION)["syncIntegration"]["databases"] >= 1
        save_access_flow(portal.services, actor=DEMO_ADMIN, flow=FLOW)
        yield pg
        _graphql(portal, DELETE, k=INTEGRATION)


def _new_link(portal: Portal) -> str:
    """A link to FLOW made by the demo admin over GraphQL: its path."""
    week = datetime.fromtimestamp(portal.services.clock() + 7 * 86400, UTC).isoformat()
    url = _graphql(portal, CREATE, f=FLOW.key, e=week)["createAccessLink"]["url"]
    assert url.startswith(portal.url + "/l/"), url
    return str(url).removeprefix(portal.url)


def _code(portal: Portal, email: str = PARTNER) -> str:
    found = re.search(r"Your code: (\d{8})\s", portal.mails_to(email)[-1])
    assert found, portal.mails_to(email)
    return found.group(1)


def _approve(people: People, page: Page) -> None:
    page.goto("/approvals")
    people.sign_in(page, DEMO_APPROVER)
    card = page.get_by_role("listitem").filter(has_text=ORDERS)
    expect(card).to_contain_text(f"{PARTNER} (external, through an access link)")
    card.get_by_label(re.compile("reason for")).fill("partner audit")
    card.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("Nothing is waiting for your approval.")).to_be_visible()


def _shown_details(card: Any) -> dict[str, str]:
    """The access details the card lists, name to value, as the person reads them."""
    listed = card.get_by_label(f"Access details for {ORDERS}")
    expect(listed.locator("dd").first).to_be_visible()
    names, values = listed.locator("dt").all_inner_texts(), listed.locator("dd").all_inner_texts()
    return dict(zip(names, values, strict=True))


def test_an_external_person_asks_through_a_link_and_sees_the_access_once_approved(
    people: People, portal: Portal, orders_db: Postgres
) -> None:
    path = _new_link(portal)
    pat = people.page()
    called: list[str] = []
    pat.on("request", lambda sent: called.append(sent.url))
    pat.goto(path)
    offer = pat.get_by_role("region", name="What this link offers")
    expect(offer).to_contain_text("Partners read orders")
    expect(offer).to_contain_text(ORDERS)

    # An address outside the link's domains: the API's refusal beside the form.
    pat.get_by_label("Your name").fill("Pat Partner")
    pat.get_by_label("Your email").fill("pat@elsewhere.example")
    pat.get_by_role("button", name="Email me a code").click()
    expect(pat.get_by_role("alert")).to_contain_text("partner.example")

    pat.get_by_label("Your email").fill(PARTNER)
    pat.get_by_role("button", name="Email me a code").click()
    expect(pat.get_by_role("status")).to_contain_text("a code is on its way")
    pat.get_by_label(re.compile("Code from the email")).fill("00000000")
    pat.get_by_role("button", name="Confirm").click()
    expect(pat.get_by_role("alert")).to_be_visible()
    pat.get_by_label(re.compile("Code from the email")).fill(_code(portal))
    people.screenshot(pat, "link-code")
    pat.get_by_role("button", name="Confirm").click()
    expect(pat.get_by_text(f"({PARTNER})")).to_be_visible()

    # Without the justification the flow requires: the API's explanation, nothing asked.
    pat.get_by_role("button", name="Request", exact=True).click()
    expect(pat.get_by_role("alert")).to_contain_text("justification")
    pat.get_by_label(re.compile("Justification")).fill("quarterly reconciliation")
    pat.get_by_role("button", name="Request", exact=True).click()
    mine = pat.get_by_role("listitem", name=f"Request for {ORDERS}")
    expect(mine).to_contain_text("PENDING")
    people.screenshot(pat, "link-pending")

    _approve(people, people.page())

    expect(mine).to_contain_text("GRANTED", timeout=15_000)
    mine.get_by_role("button", name="Reveal access details").click()
    shown = _shown_details(mine)
    people.screenshot(pat, "link-granted")
    # A login of its own on the real server, and its password really opens `orders`.
    assert shown["user"] and shown["password"], shown
    assert shown["user"] in shown["connection_string"], shown
    assert shown["password"] in shown["connection_string"], shown
    with psycopg.connect(shown["connection_string"], connect_timeout=5) as session:
        assert session.execute("SELECT current_database(), 1").fetchone() == ("orders", 1)

    # The session lasts a reload; signing out asks for the email again.
    pat.reload()
    expect(mine).to_contain_text("GRANTED")
    pat.get_by_role("button", name="Sign out").click()
    expect(pat.get_by_label("Your email")).to_be_visible()
    # An external person has no portal session: the page only ever calls /auth/link.
    assert not [url for url in called if "/graphql" in url], called
    assert any("/auth/link/requests" in url for url in called)
    # The other browser tests start from an access graph with no one else's grant.
    (granted,) = portal.services.store.find_nodes("AccessRequest", equals={"requester": PARTNER})
    revoke_grant(portal.services, actor=DEMO_ADMIN, request=granted.key)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(shown["connection_string"], connect_timeout=5).close()


def test_a_session_through_one_link_does_not_open_another(
    people: People, portal: Portal, orders_db: Postgres
) -> None:
    sam, first, second = "sam@partner.example", _new_link(portal), _new_link(portal)
    page = people.page()
    page.goto(first)
    page.get_by_label("Your name").fill("Sam Partner")
    page.get_by_label("Your email").fill(sam)
    page.get_by_role("button", name="Email me a code").click()
    expect(page.get_by_role("status")).to_contain_text("a code is on its way")
    page.get_by_label(re.compile("Code from the email")).fill(_code(portal, sam))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text(f"({sam})")).to_be_visible()

    # Another link in the same browser: its own start, not the first link's session.
    page.goto(second)
    expect(page.get_by_label("Your email")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    people.screenshot(page, "link-other-link")
    # Back at the first link, its session still holds.
    page.goto(first)
    expect(page.get_by_text(f"({sam})")).to_be_visible()


def test_a_link_that_does_not_exist_gets_a_page_saying_so(people: People) -> None:
    page = people.page()
    page.goto("/l/" + "A" * 43)
    expect(page.get_by_role("heading", name="This access link is not valid")).to_be_visible()
    expect(page.get_by_role("alert")).to_be_visible()
    people.screenshot(page, "link-invalid")
