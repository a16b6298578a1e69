"""One Keyturn with the demo organisation and one Debian Chromium for the whole session.

The app under test is the one `make web` built into web/dist (`make test` builds it first).
Each test opens its own browser contexts, one per person, so cookies never leak between
them. Screenshots land in var/browser-artifacts (kept out of git) for a human to look at.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from api.app import create_app
from api.server import open_services
from api.web_routes import WEB_DIST
from broker import Services, save_access_flow, set_first_password
from broker.demo import DEMO_ADMIN, DEMO_APPROVER, DEMO_FLOWS, DEMO_GRANTEE, seed_demo
from broker.notify import Notifier, SmtpMailer
from tests.support.http_server import serving
from tests.support.smtp import Smtp, smtp_server

CHROMIUM = os.environ.get("KEYTURN_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "browser-artifacts"


@dataclass
class Portal:
    url: str
    services: Services
    passwords: dict[str, str]
    mail: Smtp  # the real SMTP server every mail of this Keyturn goes to

    def mails_to(self, address: str) -> list[str]:
        """The bodies of the mails sent to `address` so far, oldest first."""
        assert isinstance(self.services.notifier, Notifier)
        assert self.services.notifier.drain(10)
        return [str(m.get_content()) for m in self.mail.inbox.to(address)]


@contextmanager
def running_keyturn(graph_db: Path) -> Iterator[Portal]:
    """A Keyturn on `graph_db` with the demo organisation, served on a free port."""
    services = open_services(f"embedded:{graph_db}")
    seed_demo(services)
    # The demo's database flow, letting a grant be extended twice (the demo allows none).
    readers = dataclasses.replace(DEMO_FLOWS[0], max_extensions=2)
    save_access_flow(services, actor=DEMO_ADMIN, flow=readers)
    people = (DEMO_GRANTEE, DEMO_APPROVER)
    passwords = {who: set_first_password(services, user=who) for who in people}
    try:
        with smtp_server() as mail, serving(create_app(services, expiry_interval=0.5)) as url:
            services.notifier = Notifier(mailer=SmtpMailer(mail.url), public_url=url)
            yield Portal(url, services, passwords, mail)
    finally:
        services.store.close()


@pytest.fixture(scope="package")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    if not (WEB_DIST / "index.html").is_file():
        pytest.fail("the web app is not built: run `make web` (make test does it first)")
    with running_keyturn(tmp_path_factory.mktemp("browser") / "graph.db") as running:
        yield running


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"no Chromium at {CHROMIUM}: install Debian's `chromium` (.ci/run does)")
    launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
    yield launched
    launched.close()


class People:
    """A browser context per person, closed at the end of the test."""

    def __init__(self, browser: Browser, portal: Portal, test_name: str) -> None:
        self._browser = browser
        self._portal = portal
        self._contexts: list[BrowserContext] = []
        self._shots = ARTIFACTS / test_name
        self._shots.mkdir(parents=True, exist_ok=True)

    def page(self) -> Page:
        context = self._browser.new_context(base_url=self._portal.url)
        context.set_default_timeout(10_000)
        self._contexts.append(context)
        return context.new_page()

    def sign_in(self, page: Page, who: str) -> None:
        """On the sign-in page: type `who`'s credentials and send them."""
        page.get_by_label("Email").fill(who)
        page.get_by_label("Password").fill(self._portal.passwords[who])
        page.get_by_role("button", name="Sign in").click()

    def screenshot(self, page: Page, name: str) -> None:
        page.screenshot(path=str(self._shots / f"{name}.png"), full_page=True)

    def close(self) -> None:
        for context in self._contexts:
            context.close()


@pytest.fixture
def people(browser: Browser, portal: Portal, request: pytest.FixtureRequest) -> Iterator[People]:
    crowd = People(browser, portal, request.node.name)
    yield crowd
    crowd.close()
