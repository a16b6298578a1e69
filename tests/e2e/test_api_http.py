"""The HTTP layer in front of GraphQL: hostile bodies, who may call, headers, failures.

Over a real uvicorn server. These rules sit before any graph work, so one backend (the
embedded graph) is enough here; the `live` fixture covers both for the operations.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from litestar import get

from api.app import create_app
from api.http_guard import MAX_BODY_BYTES, MAX_JSON_DEPTH
from broker import Services, issue_api_token, list_tokens
from broker.demo import DEMO_ADMIN
from tests.e2e.test_restart_keeps_state import TOKEN_LINE
from tests.e2e.test_restart_keeps_state import _keyturn_serve as keyturn_serve
from tests.support.demo_services import demo_services
from tests.support.http_server import GraphQLClient, free_port, serving

ME = "{ me { email } }"
WHY_ANONYMOUS = "sign in: send `Authorization: Bearer <API token>`"


@dataclass
class Server:
    services: Services
    url: str
    token: str

    def post(self, body: bytes, **headers: str) -> httpx.Response:
        sent = {"content-type": "application/json", "authorization": f"Bearer {self.token}"}
        sent.update({k.replace("_", "-"): v for k, v in headers.items()})
        return httpx.post(f"{self.url}/graphql", content=body, headers=sent, timeout=30)


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    with demo_services(f"embedded:{tmp_path / 'graph.db'}") as opened:
        yield opened


@pytest.fixture
def server(services: Services) -> Iterator[Server]:
    token = issue_api_token(services, owner=DEMO_ADMIN, name="http")
    with serving(create_app(services)) as url:
        yield Server(services, url, token)


def _refusal(reply: httpx.Response, status: int, code: str) -> str:
    """The message of a GraphQL-shaped refusal with this status and code."""
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"].startswith("application/json")
    body = reply.json()
    assert set(body) == {"errors"}, body
    (error,) = body["errors"]
    assert error["extensions"]["code"] == code, error
    assert "Traceback" not in reply.text
    message: str = error["message"]
    return message


def _nested(levels: int) -> object:
    value: object = "bottom"
    for _ in range(levels):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"42", "the request body is a JSON number, not an object"),
        (b"null", "the request body is a JSON null, not an object"),
        (b'"{ me { email } }"', "the request body is a JSON string, not an object"),
        (b'[{"query": "{ me { email } }"}]', "the request body is a JSON array, not an object"),
        (b'{"query": "\xff{ me }"}', "the request body is not valid UTF-8"),
        (b'{"query": ', "the request body is not valid JSON"),
        (b'{"query": "{ me { email } }", "variables": NaN}', "the request body is not valid"),
        (b"{}", "`query` must be a string holding the GraphQL document, but it is missing"),
        (b'{"query": 5}', "`query` must be a string holding the GraphQL document, but it is a"),
        (b'{"query": "{ me { email } }", "variables": [1]}', "`variables` must be an object"),
        (b'{"query": "{ me { email } }", "variables": 7}', "`variables` must be an object"),
        (b'{"query": "{ me { email } }", "operationName": 1}', "`operationName` must be a"),
        (b'{"query": "{ me { email } }", "extensions": "x"}', "`extensions` must be an object"),
    ],
)
def test_a_body_that_is_not_one_graphql_request_is_a_400_with_a_graphql_error(
    server: Server, body: bytes, says: str
) -> None:
    message = _refusal(server.post(body), 400, "bad_request")
    assert message.startswith(says), message


def test_json_nested_past_the_limit_is_a_400_and_up_to_it_is_served(server: Server) -> None:
    """Variables nested 1,000 deep once crashed the parser into a 500."""
    # The body object and `variables` are two levels, so n lists nest the body n + 2 deep.
    for levels in (1000, MAX_JSON_DEPTH - 1):
        deep = "[" * levels + '"bottom"' + "]" * levels  # json.dumps itself stops at ~1000
        body = f'{{"query": "{ME}", "variables": {{"deep": {deep}}}}}'.encode()
        message = _refusal(server.post(body), 400, "bad_request")
        assert message == (
            f"the request body nests JSON more than {MAX_JSON_DEPTH} levels deep: "
            "flatten the variables"
        )
    fits = {"query": ME, "variables": {"deep": _nested(MAX_JSON_DEPTH - 2)}}
    reply = server.post(json.dumps(fits).encode())
    assert reply.status_code == 200, reply.text
    assert reply.json()["data"]["me"]["email"] == DEMO_ADMIN


def test_a_body_over_the_size_limit_is_a_413_declared_or_streamed(server: Server) -> None:
    padding = " " * MAX_BODY_BYTES
    body = json.dumps({"query": ME + padding}).encode()
    message = _refusal(server.post(body), 413, "request_too_large")
    assert message.startswith(f"the request body is larger than {MAX_BODY_BYTES} bytes")

    def chunks() -> Iterator[bytes]:  # no Content-Length: sent chunked
        yield b'{"query": "' + b" " * (MAX_BODY_BYTES // 2)
        yield b" " * (MAX_BODY_BYTES // 2) + b'{ me { email } }"}'

    reply = httpx.post(
        f"{server.url}/graphql",
        content=chunks(),
        headers={"content-type": "application/json", "authorization": f"Bearer {server.token}"},
    )
    _refusal(reply, 413, "request_too_large")
    just_under = json.dumps({"query": ME + " " * (MAX_BODY_BYTES - 100)}).encode()
    assert server.post(just_under).json()["data"]["me"]["email"] == DEMO_ADMIN


def test_only_json_bodies_are_read(server: Server) -> None:
    """A cross-site HTML form cannot send `application/json`: form posts never run."""
    for content_type in ("text/plain", "application/x-www-form-urlencoded"):
        reply = server.post(json.dumps({"query": ME}).encode(), content_type=content_type)
        message = _refusal(reply, 415, "unsupported_media_type")
        assert message == (
            f"the Content-Type is `{content_type}`: send the request as `application/json`"
        )
    charset = server.post(
        json.dumps({"query": ME}).encode(), content_type="application/json; charset=utf-8"
    )
    assert charset.json()["data"]["me"]["email"] == DEMO_ADMIN


def test_graphql_answers_post_only(server: Server) -> None:
    reply = httpx.get(f"{server.url}/graphql", params={"query": ME})
    assert _refusal(reply, 405, "method_not_allowed") == (
        "/graphql answers POST only, not `GET`: POST a JSON body"
    )
    assert reply.headers["allow"] == "POST"


def test_an_operation_that_cannot_be_chosen_or_run_over_post_is_refused_and_nothing_runs(
    server: Server,
) -> None:
    """Several operations and no `operationName`, a name the document lacks, a
    subscription: each a precise error, and the mutation in the document never runs."""
    auth = {"authorization": f"Bearer {server.token}"}
    two = 'mutation Mint { issueToken(name: "never") { token } } query Me { me { email } }'
    before = len(list_tokens(server.services, actor=DEMO_ADMIN, owner=DEMO_ADMIN))
    reply = httpx.post(f"{server.url}/graphql", json={"query": two}, headers=auth)
    assert reply.status_code == 200
    (error,) = reply.json()["errors"]
    assert error["extensions"]["code"] == "bad_request"
    assert "name the one to run in `operationName`" in error["message"]
    assert reply.json()["data"] is None

    reply = httpx.post(
        f"{server.url}/graphql", json={"query": two, "operationName": "Nope"}, headers=auth
    )
    assert _refusal(reply, 400, "bad_request") == 'Unknown operation named "Nope".'
    reply = httpx.post(
        f"{server.url}/graphql", json={"query": "subscription { me { email } }"}, headers=auth
    )
    assert _refusal(reply, 400, "bad_request") == "subscriptions are not allowed when using POST"
    assert len(list_tokens(server.services, actor=DEMO_ADMIN, owner=DEMO_ADMIN)) == before

    reply = httpx.post(
        f"{server.url}/graphql", json={"query": two, "operationName": "Me"}, headers=auth
    )
    assert reply.json() == {"data": {"me": {"email": DEMO_ADMIN}}}


def test_callers_without_a_valid_token_get_401_with_a_bearer_challenge(server: Server) -> None:
    body = json.dumps({"query": ME}).encode()
    anonymous = httpx.post(
        f"{server.url}/graphql", content=body, headers={"content-type": "application/json"}
    )
    assert _refusal(anonymous, 401, "unauthenticated") == WHY_ANONYMOUS
    assert anonymous.headers["www-authenticate"] == 'Bearer realm="keyturn"'
    assert anonymous.headers["cache-control"] == "no-store"

    basic = server.post(body, authorization="Basic YWRhOnB3")
    assert _refusal(basic, 401, "unauthenticated") == (
        "the Authorization header must be `Bearer <API token>`"
    )
    unknown = server.post(body, authorization="Bearer kt_not-a-real-token")
    assert "unknown or revoked" in _refusal(unknown, 401, "unauthenticated")
    assert unknown.headers["www-authenticate"] == 'Bearer realm="keyturn", error="invalid_token"'
    # Decided before anything runs: not even introspection or a bad body gets further.
    schema = server.post(b'{"query": "{ __schema { types { name } } }"}', authorization="")
    assert _refusal(schema, 401, "unauthenticated") == WHY_ANONYMOUS
    assert _refusal(server.post(b"42", authorization=""), 401, "unauthenticated") == WHY_ANONYMOUS


SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}


def test_every_response_carries_the_security_headers(server: Server) -> None:
    replies = [
        httpx.get(f"{server.url}/"),
        httpx.get(f"{server.url}/healthz"),
        httpx.get(f"{server.url}/no-such-file.txt"),  # other paths are the web app's routes
        server.post(json.dumps({"query": ME}).encode()),
        server.post(b"42"),
    ]
    assert [r.status_code for r in replies] == [200, 200, 404, 200, 400]
    for reply in replies:
        for name, value in SECURITY_HEADERS.items():
            assert reply.headers[name] == value, (reply.url, name)
        csp = reply.headers["content-security-policy"]
        for directive in ("default-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"):
            assert directive in csp
        assert "camera=()" in reply.headers["permissions-policy"]
        assert "strict-transport-security" not in reply.headers  # plain HTTP here
    graphql_replies = replies[3:]
    assert all(r.headers["cache-control"] == "no-store" for r in graphql_replies)
    assert "no-store" not in replies[1].headers.get("cache-control", "")


def test_the_content_security_policy_admits_the_pages_own_style_and_nothing_inline_else(
    server: Server,
) -> None:
    page = httpx.get(f"{server.url}/")
    csp = page.headers["content-security-policy"]
    # The built app styles itself from /assets; any inline block must be admitted by hash.
    styles = re.findall(r"<style[^>]*>(.*?)</style>", page.text, re.DOTALL)
    assert "style-src 'self'" in csp
    for style in styles:
        digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp
    assert "unsafe-inline" not in csp
    assert "script-src" not in csp  # so default-src 'self': no inline script runs


def test_only_the_graphql_explorer_page_may_use_inline_styles_and_data_fonts(
    server: Server,
) -> None:
    """GraphiQL's editor needs inline styles and a data: font; the page loaded at
    /console/graphql gets them, scripts stay same-origin, and no other page is loosened."""
    explorer = httpx.get(f"{server.url}/console/graphql").headers["content-security-policy"]
    assert "style-src 'self' 'unsafe-inline'" in explorer
    assert "font-src 'self' data:" in explorer
    assert "default-src 'self'" in explorer and "script-src" not in explorer
    for other in ("/", "/console/users", "/console/graphql-not", "/healthz"):
        csp = httpx.get(f"{server.url}{other}").headers["content-security-policy"]
        assert "unsafe-inline" not in csp and "font-src" not in csp, other


def test_hsts_is_sent_when_the_public_url_is_https(services: Services) -> None:
    with serving(create_app(services, public_url="https://keyturn.example")) as url:
        reply = httpx.get(f"{url}/healthz")
    assert reply.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_an_unexpected_failure_is_a_generic_500_without_a_traceback(
    services: Services,
) -> None:
    @get("/boom", sync_to_thread=False)
    def boom() -> None:
        raise RuntimeError("the secret detail at /srv/keyturn/private.py")

    app = create_app(services)
    app.register(boom)
    assert app.debug is False
    logged = _Collect()
    logging.getLogger("api.app").addHandler(logged)
    try:
        with serving(app) as url:
            reply = httpx.get(f"{url}/boom")
    finally:
        logging.getLogger("api.app").removeHandler(logged)
    message = _refusal(reply, 500, "internal")
    assert message == "internal error: the server failed; the operator can find it in the log"
    assert "secret detail" not in reply.text and "private.py" not in reply.text
    assert reply.headers["x-content-type-options"] == "nosniff"
    # The operator still finds it in the log, with its traceback.
    (record,) = logged.records
    assert record.exc_info and "the secret detail" in str(record.exc_info[1])


def test_debug_stays_off_even_when_the_environment_asks_for_it(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LITESTAR_DEBUG", "1")
    assert create_app(services).debug is False


def test_mail_links_point_at_the_port_the_server_runs_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`keyturn serve --port N` without KEYTURN_PUBLIC_URL: links say port N, not 8000."""
    monkeypatch.delenv("KEYTURN_PUBLIC_URL", raising=False)
    log, port = tmp_path / "serve.log", free_port()
    with keyturn_serve(f"embedded:{tmp_path / 'graph.db'}", port, log) as url:
        match = TOKEN_LINE.search(log.read_text())
        assert match, log.read_text()
        admin = GraphQLClient(url, match.group(1))
        admin.data(
            """mutation { createAccessFlow(flow: {key: "approved-orders", name: "Orders",
                 requestorUsers: ["ada@acme.example"], resources: ["pg-prod/orders"],
                 approvers: ["grace@acme.example"]}) { key } }"""
        )
        asked = admin.data(
            """mutation { requestAccess(request: {resource: "pg-prod/orders",
                 durationMinutes: 30}) { id state } }"""
        )["requestAccess"]
        admin.close()
        assert asked["state"] == "PENDING"
        outbox = tmp_path / "var" / "outbox"
        deadline = time.monotonic() + 20
        while not list(outbox.glob("*.eml")):
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
    mail = next(outbox.glob("*.eml")).read_text()
    assert f"http://127.0.0.1:{port}/" in mail, mail
    assert f"links in mail: http://127.0.0.1:{port}" in log.read_text()


def test_keyturn_serve_logs_each_request_once_and_never_a_token_in_its_address(
    tmp_path: Path,
) -> None:
    """uvicorn's own access log printed whole paths and query strings (invitation and
    access-link tokens, single sign-on codes); `keyturn serve` logs through api.access_log."""
    log, port = tmp_path / "serve.log", free_port()
    secret = "tok3n" + "S" * 30
    with keyturn_serve(f"embedded:{tmp_path / 'graph.db'}", port, log) as url:
        assert httpx.get(f"{url}/invite/{secret}").status_code in (404, 410)
        httpx.get(f"{url}/l/{secret}")
        httpx.get(f"{url}/auth/oidc/callback?code={secret}&state={secret}")
        deadline = time.monotonic() + 10
        while "/auth/oidc/callback" not in log.read_text():
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
    written = log.read_text()
    assert secret not in written
    assert written.count('"GET /invite/… HTTP/1.1" ') == 1
    assert written.count('"GET /l/… HTTP/1.1" 200') == 1
    assert '"GET /auth/oidc/callback?code=…&state=… HTTP/1.1"' in written
