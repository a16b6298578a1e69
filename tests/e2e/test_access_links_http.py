"""Access links over HTTP on each graph backend: an admin creates a link over GraphQL; an
external person proves their email with a code read from a real SMTP server, asks through
the link, an approver approves over GraphQL, and the person sees GRANTED and the access
details. Guessed, replayed, foreign, rotated and disabled: refused, nothing leaked."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from api.link_routes import LINK_COOKIE
from broker import audit, save_access_flow
from broker.demo import DEMO_ADMIN, DEMO_APPROVER
from broker.notify import Notifier, SmtpMailer
from policies.flows import AccessFlow
from tests.e2e.conftest import LiveKeyturn
from tests.support.smtp import Smtp
from tests.support.smtp import smtp as smtp  # the real SMTP server fixture

PARTNER = "pat@partner.example"
FLOW = AccessFlow(
    key="partner-orders",
    name="Partners read orders",
    external=True,
    trigger="link",
    resources=("pg-prod/orders",),
    permissions=("read",),
    max_duration_minutes=120,
    justification_required=True,
    approvers=(DEMO_APPROVER,),
)
CREATE = """
mutation($f: String!, $e: DateTime!, $d: [String!]) {
  createAccessLink(flow: $f, expiresAt: $e, maxUses: 5,
                   allowedEmailDomains: $d) {
    url accessLink { id flow maxUses uses allowedEmailDomains disabled }
  }
}"""
ASK = {
    "resource": "pg-prod/orders",
    "permissions": ["read"],
    "durationMinutes": 60,
    "justification": "quarterly reconciliation",
}


@pytest.fixture
def mailing(live: LiveKeyturn, smtp: Smtp) -> LiveKeyturn:
    live.services.notifier = Notifier(mailer=SmtpMailer(smtp.url), public_url=live.base_url)
    save_access_flow(live.services, actor=DEMO_ADMIN, flow=FLOW)
    return live


def _link(live: LiveKeyturn, domains: list[str] | None = None) -> tuple[str, str]:
    """A new link's id and token, created by the demo admin over GraphQL."""
    week = datetime.fromtimestamp(live.clock() + 7 * 86400, UTC).isoformat()
    made = live.admin.data(CREATE, f=FLOW.key, e=week, d=domains)["createAccessLink"]
    found = re.fullmatch(re.escape(live.base_url) + r"/l/([A-Za-z0-9_-]{43})", made["url"])
    assert found, made["url"]
    return made["accessLink"]["id"], found.group(1)


def _mails(live: LiveKeyturn, smtp: Smtp, to: str) -> list[str]:
    assert isinstance(live.services.notifier, Notifier)
    assert live.services.notifier.drain(10)
    return [str(m.get_content()) for m in smtp.inbox.to(to)]


def _code(live: LiveKeyturn, smtp: Smtp) -> str:
    mail = _mails(live, smtp, PARTNER)[-1]
    found = re.search(r"Your code: (\d{8})\s", mail)
    assert found, mail
    return found.group(1)


def _signed_in(live: LiveKeyturn, smtp: Smtp, browser: httpx.Client, token: str) -> None:
    asked = browser.post(
        "/auth/link/code", json={"token": token, "email": PARTNER, "name": "Pat Partner"}
    )
    assert asked.status_code == 202, asked.text
    code = _code(live, smtp)
    proven = browser.post(
        "/auth/link/verify", json={"token": token, "email": PARTNER, "code": code}
    )
    assert proven.status_code == 200, proven.text


def _post(browser: httpx.Client, path: str, body: dict[str, Any]) -> httpx.Response:
    return browser.post(path, json=body)


def test_an_external_person_asks_through_a_link_and_sees_the_access_once_approved(
    mailing: LiveKeyturn, smtp: Smtp
) -> None:
    soon = datetime.fromtimestamp(mailing.clock() + 3600, UTC).isoformat()
    refused = mailing.grantee.error(CREATE, f=FLOW.key, e=soon, d=None)
    assert refused["extensions"]["code"] == "forbidden"
    link_id, token = _link(mailing, ["partner.example"])
    with httpx.Client(base_url=mailing.base_url, timeout=30) as browser:
        page = _post(browser, "/auth/link/open", {"token": token})
        assert page.status_code == 200, page.text
        offer = page.json()["offer"]
        assert offer["flow"] == "Partners read orders"
        assert offer["resources"] == [{"key": "pg-prod/orders", "name": "orders"}]
        assert offer["allowedEmailDomains"] == ["partner.example"]
        assert page.headers["cache-control"] == "no-store"

        _signed_in(mailing, smtp, browser, token)
        cookie = browser.cookies.jar
        (set_cookie,) = [c for c in cookie if c.name == LINK_COOKIE]
        assert set_cookie.path == "/auth/link" and set_cookie.has_nonstandard_attr("HttpOnly")
        who = browser.get("/auth/link/session").json()
        assert who["external"] == {"email": PARTNER, "name": "Pat Partner"}

        made = _post(browser, "/auth/link/requests", ASK)
        assert made.status_code == 201, made.text
        request = made.json()["request"]
        assert request["state"] == "PENDING"

        (review,) = _mails(mailing, smtp, DEMO_APPROVER)
        assert f"{PARTNER} (external requester, through access link {link_id})" in review
        queue = mailing.approver.data("{ pendingApprovals { id requester accessLink } }")
        assert queue["pendingApprovals"] == [
            {"id": request["id"], "requester": PARTNER, "accessLink": link_id}
        ]
        approve = "mutation($id: ID!) { approveRequest(id: $id) { state } }"
        state = mailing.approver.data(approve, id=request["id"])["approveRequest"]["state"]
        assert state == "GRANTED"

        (mine,) = browser.get("/auth/link/requests").json()["requests"]
        assert (mine["id"], mine["state"]) == (request["id"], "GRANTED")
        details = browser.get(f"/auth/link/requests/{request['id']}/access")
        assert details.status_code == 200, details.text
        assert details.json() == {"request": request["id"], "details": {}}

        # The link session is for this link's status and details only.
        session_id = browser.cookies[LINK_COOKIE]
        as_graphql = httpx.post(
            f"{mailing.base_url}/graphql",
            json={"query": "{ me { key } }"},
            cookies={LINK_COOKIE: session_id, "keyturn_session": session_id},
        )
        assert as_graphql.status_code == 401
        assert PARTNER not in as_graphql.text
        elsewhere = httpx.get(
            f"{mailing.base_url}/auth/session", cookies={"keyturn_session": session_id}
        )
        assert elsewhere.status_code == 401
    events = list(audit.read_events(mailing.services.store))
    made_event = next(e for e in events if e.kind == "request.created")
    assert (made_event.data["trigger"], made_event.data["access_link"]) == ("link", link_id)
    assert {"link.code_sent", "link.code_verified"} <= {e.kind for e in events}
    assert not any(code_like in str(e.data) for e in events for code_like in (token,))


def test_guessed_replayed_foreign_rotated_and_disabled_are_refused_over_http(
    mailing: LiveKeyturn, smtp: Smtp
) -> None:
    link_id, token = _link(mailing, ["partner.example"])
    _, other = _link(mailing)
    with httpx.Client(base_url=mailing.base_url, timeout=30) as browser:
        outside = _post(
            browser, "/auth/link/code", {"token": token, "email": "eve@evil.example", "name": "E"}
        )
        assert outside.status_code == 403 and "partner.example" in outside.json()["error"]
        _post(browser, "/auth/link/code", {"token": token, "email": PARTNER, "name": "Pat"})
        late = {"token": token, "email": PARTNER, "code": _code(mailing, smtp)}
        mailing.clock.advance(10 * 60 + 1)
        assert _post(browser, "/auth/link/verify", late).status_code == 401
        _signed_in(mailing, smtp, browser, token)
        code = _code(mailing, smtp)
        replay = {"token": token, "email": PARTNER, "code": code}
        replayed = _post(browser, "/auth/link/verify", replay)
        assert replayed.status_code == 401
        _post(browser, "/auth/link/code", {"token": other, "email": PARTNER, "name": "Pat"})
        foreign = {"token": token, "email": PARTNER, "code": _code(mailing, smtp)}
        assert _post(browser, "/auth/link/verify", foreign).status_code == 401

        rotated = mailing.admin.data(
            "mutation($id: String!) { rotateAccessLink(id: $id) { url } }", id=link_id
        )["rotateAccessLink"]["url"]
        old = _post(browser, "/auth/link/open", {"token": token})
        assert old.status_code == 404 and old.json()["code"] == "link_invalid"
        fresh = rotated.rsplit("/", 1)[1]
        assert _post(browser, "/auth/link/open", {"token": fresh}).status_code == 200
        mailing.admin.data(
            "mutation($id: String!) { disableAccessLink(id: $id) { id } }", id=link_id
        )
        disabled = _post(browser, "/auth/link/open", {"token": fresh})
        assert disabled.json() == old.json(), "disabled and unknown answer alike"
        # The session stays for the status, but the disabled link takes no request.
        assert browser.get("/auth/link/requests").status_code == 200
        assert _post(browser, "/auth/link/requests", ASK).status_code == 404

        not_json = browser.post(
            "/auth/link/requests", content=b"{}", headers={"content-type": "text/plain"}
        )
        assert not_json.status_code == 415
        # Guessing: each failure from this address counts (wrong codes, dead links too)
        # until the throttle answers 429, the real link included.
        guesses = [_post(browser, "/auth/link/open", {"token": "x" * 43}) for _ in range(16)]
        assert [g.status_code for g in guesses] == [404] * 15 + [429]
        throttled = _post(browser, "/auth/link/open", {"token": fresh})
        assert throttled.status_code == 429 and int(throttled.headers["retry-after"]) > 0
    listed = mailing.admin.data("{ accessLinks { id disabled uses } }")["accessLinks"]
    assert {"id": link_id, "disabled": True, "uses": 0} in listed
    assert mailing.grantee.error("{ accessLinks { id } }")["extensions"]["code"] == "forbidden"
    kinds = [e.kind for e in audit.read_events(mailing.services.store)]
    assert kinds.count("link.code_failed") + kinds.count("link.refused") == 20
