"""The TOTP second factor over HTTP, on both graph backends: enrol and confirm from a
signed-in browser, sign in with a code, recovery codes, the admins' policy that leaves an
unenrolled admin's session good for enrolling only, and a flow whose approvers confirm
each approval with a fresh code. Codes come from pyotp and the secret enrolment answers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pyotp
import pytest

from broker import audit
from broker.demo import DEMO_ADMIN, DEMO_APPROVER, DEMO_GRANTEE
from broker.identities.passwords import hash_password
from graph import NodeRef, SetProps, UpsertEdge, UpsertNode
from tests.e2e.conftest import LiveKeyturn

PASSWORD = "correct horse battery staple"
ME = "{ me { email role } }"


@pytest.fixture
def local(live: LiveKeyturn) -> LiveKeyturn:
    """The demo grantee, admin and approver with a local password."""
    hashed = hash_password(PASSWORD)
    users = (DEMO_GRANTEE, DEMO_ADMIN, DEMO_APPROVER)
    live.services.store.write([SetProps("User", u, {"password_hash": hashed}) for u in users])
    return live


@pytest.fixture
def browser(local: LiveKeyturn) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=local.base_url, timeout=30) as client:
        yield client


def _login(client: httpx.Client, email: str = DEMO_GRANTEE) -> httpx.Response:
    return client.post("/auth/login", json={"email": email, "password": PASSWORD})


def _post(client: httpx.Client, path: str, csrf: str | None, **body: Any) -> httpx.Response:
    headers = {"X-CSRF-Token": csrf} if csrf else {}
    return client.post(path, json=body, headers=headers)


def _graphql(client: httpx.Client, query: str, csrf: str) -> httpx.Response:
    return client.post("/graphql", json={"query": query}, headers={"X-CSRF-Token": csrf})


def _code(live: LiveKeyturn, secret: str, steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(live.clock() + 30 * steps)


def _enrol(live: LiveKeyturn, client: httpx.Client, email: str) -> tuple[str, list[str]]:
    """Sign `email` in, enrol and confirm; (the secret, the recovery codes). The clock
    moves a step on, so the confirming code is spent and the next is fresh."""
    csrf = _login(client, email).json()["csrfToken"]
    started = _post(client, "/auth/mfa/enrol", csrf)
    assert started.status_code == 200, started.text
    secret = started.json()["secret"]
    assert started.json()["otpauthUri"].startswith("otpauth://totp/Keyturn:")
    confirmed = _post(client, "/auth/mfa/confirm", csrf, code=_code(live, secret))
    assert confirmed.status_code == 200, confirmed.text
    live.clock.advance(30)
    return secret, confirmed.json()["recoveryCodes"]


def _signed_out(client: httpx.Client) -> None:
    client.cookies.clear()


def test_with_mfa_a_password_gives_no_session_until_a_code_finishes_the_sign_in(
    local: LiveKeyturn, browser: httpx.Client
) -> None:
    secret, codes = _enrol(local, browser, DEMO_GRANTEE)
    assert len(codes) == 10
    _signed_out(browser)

    waiting = _login(browser)
    assert waiting.status_code == 200 and waiting.json() == {"mfa_required": True}
    pending = [c for c in waiting.headers.get_list("set-cookie") if "keyturn_mfa_pending" in c]
    assert pending and "httponly" in pending[0].lower() and "path=/auth/mfa" in pending[0].lower()
    assert browser.get("/auth/session").status_code == 401  # no session yet

    wrong = _post(browser, "/auth/mfa/verify", None, code=_code(local, secret, -20))
    assert wrong.status_code == 401 and wrong.json()["code"] == "mfa_code_refused"
    assert browser.get("/auth/session").status_code == 401

    code = _code(local, secret)
    done = _post(browser, "/auth/mfa/verify", None, code=code)
    assert done.status_code == 200, done.text
    answered = _graphql(browser, ME, done.json()["csrfToken"])
    assert answered.json() == {"data": {"me": {"email": DEMO_GRANTEE, "role": "grantee"}}}

    _signed_out(browser)  # the same code again, on a fresh sign-in: a replay
    _login(browser)
    replayed = _post(browser, "/auth/mfa/verify", None, code=code)
    assert replayed.status_code == 401 and "used already" in replayed.json()["error"]
    assert browser.get("/auth/session").status_code == 401


def test_password_refusals_are_unchanged_and_a_pending_sign_in_expires_after_five_minutes(
    local: LiveKeyturn, browser: httpx.Client
) -> None:
    secret, _ = _enrol(local, browser, DEMO_GRANTEE)
    _signed_out(browser)
    wrong = browser.post("/auth/login", json={"email": DEMO_GRANTEE, "password": "x" * 12})
    unknown = browser.post("/auth/login", json={"email": "no@acme.example", "password": "x" * 12})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert "keyturn_mfa_pending" not in str(wrong.headers.get_list("set-cookie"))

    _login(browser)
    local.clock.advance(301)
    late = _post(browser, "/auth/mfa/verify", None, code=_code(local, secret))
    assert late.status_code == 401 and "expired" in late.json()["error"]
    assert browser.get("/auth/session").status_code == 401
    nothing = httpx.post(f"{local.base_url}/auth/mfa/verify", json={"code": "123456"})
    assert nothing.status_code == 401 and "password first" in nothing.json()["error"]


def test_a_recovery_code_signs_in_once(local: LiveKeyturn, browser: httpx.Client) -> None:
    _, codes = _enrol(local, browser, DEMO_GRANTEE)
    _signed_out(browser)
    _login(browser)
    assert _post(browser, "/auth/mfa/verify", None, code=codes[0]).status_code == 200
    _signed_out(browser)
    _login(browser)
    again = _post(browser, "/auth/mfa/verify", None, code=codes[0])
    assert again.status_code == 401 and "unknown or used already" in again.json()["error"]
    kinds = [e.kind for e in audit.read_events(local.services.store)]
    assert kinds.count("user.mfa_recovery_code_used") == 1
    assert "user.mfa_failed" in kinds


def test_confirming_with_a_wrong_code_leaves_mfa_off(
    local: LiveKeyturn, browser: httpx.Client
) -> None:
    nobody = httpx.post(f"{local.base_url}/auth/mfa/enrol")
    assert nobody.status_code == 401 and nobody.json()["code"] == "unauthenticated"
    csrf = _login(browser).json()["csrfToken"]
    assert _post(browser, "/auth/mfa/enrol", None).status_code == 403  # the CSRF token, too
    secret = _post(browser, "/auth/mfa/enrol", csrf).json()["secret"]
    refused = _post(browser, "/auth/mfa/confirm", csrf, code=_code(local, secret, -20))
    assert refused.status_code == 401 and refused.json()["code"] == "mfa_code_refused"
    bad_body = browser.post("/auth/mfa/confirm", content=b"[1]", headers={"X-CSRF-Token": csrf})
    assert bad_body.status_code == 400 and "code" in bad_body.json()["error"]
    _signed_out(browser)
    assert "csrfToken" in _login(browser).json()  # still a plain password sign-in


def test_disabling_needs_a_code_and_then_the_password_is_enough_again(
    local: LiveKeyturn, browser: httpx.Client
) -> None:
    secret, _ = _enrol(local, browser, DEMO_GRANTEE)
    csrf = browser.get("/auth/session").json()["csrfToken"]
    wrong = _post(browser, "/auth/mfa/disable", csrf, code="000000")
    assert wrong.status_code == 401
    off = _post(browser, "/auth/mfa/disable", csrf, code=_code(local, secret))
    assert off.status_code == 200 and off.json() == {"enrolled": False}
    _signed_out(browser)
    assert "csrfToken" in _login(browser).json()
    kinds = [e.kind for e in audit.read_events(local.services.store)]
    assert {"user.mfa_enrolled", "user.mfa_disabled", "user.mfa_failed"} <= set(kinds)
    logged = str(list(audit.read_events(local.services.store)))
    assert secret not in logged


SET_POLICY = "mutation($on: Boolean!) { setMfaPolicy(requireForAdmins: $on) { requireForAdmins } }"
POLICY = "{ mfaPolicy { requireForAdmins updatedBy } }"


def test_when_admins_need_mfa_an_unenrolled_admin_can_only_enrol(
    local: LiveKeyturn, browser: httpx.Client
) -> None:
    refused = local.grantee.error(SET_POLICY, on=True)
    assert refused["extensions"]["code"] == "forbidden"
    assert local.admin.data(SET_POLICY, on=True)["setMfaPolicy"]["requireForAdmins"] is True
    assert local.auditor.data(POLICY)["mfaPolicy"] == {
        "requireForAdmins": True,
        "updatedBy": DEMO_ADMIN,
    }

    csrf = _login(browser, DEMO_ADMIN).json()["csrfToken"]
    blocked = _graphql(browser, ME, csrf)
    assert blocked.status_code == 403
    (error,) = blocked.json()["errors"]
    assert error["extensions"]["code"] == "mfa_enrolment_required"
    assert "/auth/mfa/enrol" in error["message"]
    # A grantee's session is not touched by the admins' rule.
    with httpx.Client(base_url=local.base_url, timeout=30) as other:
        grantee_csrf = _login(other).json()["csrfToken"]
        assert _graphql(other, ME, grantee_csrf).status_code == 200

    secret = _post(browser, "/auth/mfa/enrol", csrf).json()["secret"]
    assert _post(browser, "/auth/mfa/confirm", csrf, code=_code(local, secret)).status_code == 200
    allowed = _graphql(browser, ME, csrf)
    assert allowed.json() == {"data": {"me": {"email": DEMO_ADMIN, "role": "admin"}}}
    policy_events = [
        e for e in audit.read_events(local.services.store) if e.kind == "settings.mfa_policy_set"
    ]
    assert [(e.actor, e.data) for e in policy_events] == [
        (DEMO_ADMIN, {"require_for_admins": True})
    ]


CREATE_FLOW = "mutation($f: AccessFlowInput!) { createAccessFlow(flow: $f) { key approverMfa } }"
REQUEST = "mutation($r: RequestAccessInput!) { requestAccess(request: $r) { id state } }"
APPROVE = """
mutation($id: ID!, $code: String) { approveRequest(id: $id, mfaCode: $code) { id state } }"""


def _state(live: LiveKeyturn, request: str) -> str:
    node = live.services.store.get_node("AccessRequest", request)
    assert node is not None
    return str(node.props["state"])


def _mfa_flow(live: LiveKeyturn) -> str:
    live.services.store.write(
        [
            UpsertNode("Integration", "vault", {"name": "Vault", "type": "postgresql"}),
            UpsertNode("Resource", "vault/keys", {"name": "keys", "type": "database"}),
            UpsertEdge(
                "PART_OF", NodeRef("Resource", "vault/keys"), NodeRef("Integration", "vault")
            ),
        ]
    )
    flow = {
        "key": "vault-mfa",
        "name": "Vault, approved with MFA",
        "requestorGroups": ["backend"],
        "integrations": ["vault"],
        "approvers": [DEMO_APPROVER],
        "approverMfa": True,
    }
    saved = live.admin.data(CREATE_FLOW, f=flow)["createAccessFlow"]
    assert saved == {"key": "vault-mfa", "approverMfa": True}
    asked = {"resource": "vault/keys", "durationMinutes": 30}
    made = live.grantee.data(REQUEST, r=asked)["requestAccess"]
    assert made["state"] == "PENDING"
    return str(made["id"])


def test_an_approver_of_an_mfa_flow_approves_only_with_a_fresh_code(
    local: LiveKeyturn, browser: httpx.Client
) -> None:
    request = _mfa_flow(local)
    unenrolled = local.approver.error(APPROVE, id=request, code="123456")
    assert unenrolled["extensions"]["code"] == "mfa_not_enrolled"
    assert "enrol" in unenrolled["message"]

    secret, codes = _enrol(local, browser, DEMO_APPROVER)
    # The approver's API token: without the code, with a wrong one, with a recovery code.
    for code, expected in (
        (None, "mfa_code_required"),
        (_code(local, secret, -20), "mfa_code_refused"),
        (codes[0], "mfa_code_refused"),
    ):
        refused = local.approver.error(APPROVE, id=request, code=code)
        assert refused["extensions"]["code"] == expected, refused
        assert _state(local, request) == "PENDING"

    code = _code(local, secret)
    approved = local.approver.data(APPROVE, id=request, code=code)["approveRequest"]
    assert approved["state"] in ("APPROVED", "GRANTING", "GRANTED")
