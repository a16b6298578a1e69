"""Every main page of the web app passes axe-core (the npm package the web build installs,
injected into the real page in Chromium) with no `serious` or `critical` violation: labels
for screen readers, enough contrast, valid roles. One signed-in admin visits each page in
turn, so the whole module is a single sign-in and fifteen page loads.

`KEYTURN_SCREENSHOTS=docs/screenshots pytest tests/browser/test_accessibility.py` also saves
the README's screenshots (1280x800 PNGs) of the portal, the console and the explorer."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from broker import create_access_link, save_access_flow, set_first_password
from broker.demo import DEMO_ADMIN, DEMO_APPROVER, DEMO_GRANTEE
from policies.flows import AccessFlow
from tests.browser.conftest import Portal

AXE = Path(__file__).resolve().parents[2] / "web" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
SCREENSHOTS = os.environ.get("KEYTURN_SCREENSHOTS")
# The README's pictures: which page is saved under which name.
README_SHOTS = {"/request": "portal", "/console": "console"}
PAYMENTS = "pg-prod/payments"

# The pages a person reaches from the navigation, signed in as an admin (who sees them all).
SIGNED_IN_PAGES = [
    "/request",
    "/requests",
    "/access",
    "/approvals",
    "/security",
    "/console",
    "/console/users",
    "/console/flows",
    "/console/integrations",
    "/console/forbid-rules",
    "/console/tokens",
    "/audit/log",
    "/audit/graph",
]


def _context(browser: Browser, portal: Portal) -> BrowserContext:
    """A context that lets the test inject axe-core: the app's CSP (rightly) refuses inline
    scripts, and the checker is not part of the page under test."""
    context = browser.new_context(
        base_url=portal.url, viewport={"width": 1280, "height": 800}, bypass_csp=True
    )
    context.set_default_timeout(10_000)
    return context


def _violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on `page` as it is now."""
    if not AXE.is_file():
        pytest.fail(f"no axe-core at {AXE}: run `make web` (npm ci installs it)")
    page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate(
        "async () => (await axe.run(document, { resultTypes: ['violations'] })).violations"
    )
    return [v for v in found if v["impact"] in BLOCKING]


def _settled(page: Page) -> None:
    """Wait until the page has its heading and nothing is still loading."""
    expect(page.locator("h1").first).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Loading")).to_have_count(0)


def _keep_for_readme(page: Page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"))


def _report(violations: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{v['impact']} {v['id']}: {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"][:5])
        for v in violations
    )


@pytest.fixture(scope="module")
def admin_page(browser: Browser, portal: Portal) -> Iterator[Page]:
    if DEMO_ADMIN not in portal.passwords:  # another module may have set it already
        portal.passwords[DEMO_ADMIN] = set_first_password(portal.services, user=DEMO_ADMIN)
    context = _context(browser, portal)
    page = context.new_page()
    page.goto("/access")
    page.get_by_label("Email").fill(DEMO_ADMIN)
    page.get_by_label("Password").fill(portal.passwords[DEMO_ADMIN])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My access")).to_be_visible()
    yield page
    context.close()


def test_the_sign_in_page_has_no_serious_accessibility_violation(
    browser: Browser, portal: Portal
) -> None:
    context = _context(browser, portal)
    try:
        page = context.new_page()
        page.goto("/signin")
        _settled(page)
        violations = _violations(page)
        assert not violations, _report(violations)
    finally:
        context.close()


@pytest.mark.parametrize("path", SIGNED_IN_PAGES)
def test_a_main_page_has_no_serious_accessibility_violation(admin_page: Page, path: str) -> None:
    admin_page.goto(path)
    _settled(admin_page)
    if path in README_SHOTS:
        _keep_for_readme(admin_page, README_SHOTS[path])
    violations = _violations(admin_page)
    assert not violations, _report(violations)


def test_the_explorer_with_a_drawn_answer_has_no_serious_accessibility_violation(
    admin_page: Page,
) -> None:
    admin_page.goto("/audit/graph")
    form = admin_page.get_by_role("form", name="Ask the access graph")
    form.get_by_label("Question").select_option("browse")
    form.get_by_label("Node key").fill(DEMO_GRANTEE)
    form.get_by_role("button", name="Ask").click()
    expect(admin_page.get_by_role("img", name=f"Neighbours of {DEMO_GRANTEE}")).to_be_visible()
    _keep_for_readme(admin_page, "explorer")
    violations = _violations(admin_page)
    assert not violations, _report(violations)


def test_the_access_link_page_has_no_serious_accessibility_violation(
    browser: Browser, portal: Portal
) -> None:
    flow = AccessFlow(
        key="a11y-partners",
        name="Partners for the accessibility check",
        external=True,
        trigger="link",
        resources=(PAYMENTS,),
        permissions=("read",),
        max_duration_minutes=60,
        approvers=(DEMO_APPROVER,),
    )
    save_access_flow(portal.services, actor=DEMO_ADMIN, flow=flow)
    link = create_access_link(
        portal.services, actor=DEMO_ADMIN, flow=flow.key, expires_at=time.time() + 3600
    )
    context = _context(browser, portal)
    try:
        page = context.new_page()
        page.goto(link.path)
        _settled(page)
        violations = _violations(page)
        assert not violations, _report(violations)
    finally:
        context.close()
