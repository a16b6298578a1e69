"""POST /graphql: who is calling, is the body a GraphQL request, then the answer.

The checks run before the schema sees anything, so a hostile body (`42`, invalid UTF-8,
JSON nested a thousand levels deep, a gigabyte) is answered 400/413 with a GraphQL-shaped
error instead of reaching a parser that answers 500, and an anonymous caller is answered
401 before any field executes. What passes is run by `api.graphql.over_http`.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from litestar.enums import ScopeType
from litestar.types import Receive, Scope, Send

from api.auth import CSRF_HEADER, CookieCaller, session_caller, viewer_for
from api.graphql.over_http import answer
from broker import MFA_ENROLMENT_REQUIRED, Services
from graph import Node

_log = logging.getLogger("api.app")

MAX_BODY_BYTES = 1024 * 1024
INTERNAL_ERROR = "internal error: the server failed; the operator can find it in the log"
MAX_JSON_DEPTH = 32


class _Refused(Exception):
    """A request answered here with an HTTP status and a GraphQL-shaped error."""

    def __init__(
        self, status: int, message: str, code: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.headers = headers or {}


def error_body(message: str, code: str) -> bytes:
    """A GraphQL-shaped error document, as every client of /graphql already parses."""
    return json.dumps({"errors": [{"message": message, "extensions": {"code": code}}]}).encode()


class GraphQLEndpoint:
    """The ASGI app at /graphql: only what passes the checks reaches the schema. Every
    answer carries `headers` (the security headers of the path)."""

    def __init__(self, services: Services, headers: dict[str, str]) -> None:
        self._services = services
        self._headers = [(name.encode(), value.encode()) for name, value in headers.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            # No subscriptions: a WebSocket would be a way around these checks.
            await send({"type": "websocket.close", "code": 1008, "reason": "HTTP POST only"})
            return
        headers = _read_headers(scope)
        try:
            _check_method(str(scope.get("method", "")))
            _check_declared_length(headers.get("content-length"))
            viewer = await self._authenticate(headers)
            _check_content_type(headers.get("content-type"))
            body = await _read_body(receive)
            request = check_graphql_body(body)
        except _Refused as refused:
            await _answer(send, refused, self._headers)
            return
        except _ClientGone:
            return
        await self._answer_unless_failed(viewer, request, scope, receive, send)

    async def _answer_unless_failed(
        self, viewer: Node, request: dict[str, Any], scope: Scope, receive: Receive, send: Send
    ) -> None:
        started = False

        async def sending(message: Any) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            await answer(self._services, viewer, request, scope, receive, sending, self._headers)
        except Exception:
            # A defect: logged with its traceback, answered without one (as the app's
            # handler answers any other route's).
            _log.exception("unhandled error on POST /graphql")
            if not started:
                failed = _Refused(500, INTERNAL_ERROR, "internal")
                await _answer(send, failed, self._headers)

    async def _authenticate(self, headers: dict[str, str]) -> Node:
        header = headers.get("authorization")
        if not header:
            # No bearer token: a browser session, whose requests carry its CSRF token.
            by_cookie = await session_caller(
                self._services, headers.get("cookie"), headers.get(CSRF_HEADER)
            )
            if by_cookie is not None:
                return _session_viewer(by_cookie)
        viewer, why = await viewer_for(self._services, header)
        if viewer is None:
            challenge = 'Bearer realm="keyturn"'
            if header:
                challenge += ', error="invalid_token"'
            raise _Refused(401, why, "unauthenticated", {"www-authenticate": challenge})
        return viewer


# The request headers the checks read (the first of each, as a header mapping gives).
_READ = frozenset(
    name.encode()
    for name in ("authorization", "cookie", CSRF_HEADER, "content-length", "content-type")
)


def _read_headers(scope: Scope) -> dict[str, str]:
    """The headers of `scope` these checks read; ASGI names arrive lower-cased."""
    found: dict[str, str] = {}
    for name, value in scope["headers"]:
        if name in _READ:
            found.setdefault(name.decode(), value.decode("latin-1"))
    return found


def _session_viewer(caller: CookieCaller) -> Node:
    if caller.viewer is None:
        raise _Refused(
            401,
            "the session has ended or is unknown: sign in again at /auth/login",
            "unauthenticated",
            {"www-authenticate": 'Bearer realm="keyturn"'},
        )
    if not caller.csrf_ok:
        raise _Refused(
            403,
            "a request signed in by session cookie needs the session's CSRF token in the "
            "`X-CSRF-Token` header: GET /auth/session gives it",
            "csrf",
        )
    if caller.mfa_enrolment_required:
        raise _Refused(403, MFA_ENROLMENT_REQUIRED, "mfa_enrolment_required")
    return caller.viewer


def check_graphql_body(body: bytes) -> dict[str, Any]:
    """`body` as one GraphQL request (a JSON object); `_Refused` (400) when it is not."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise _bad("the request body is not valid UTF-8: send JSON encoded as UTF-8") from None
    try:
        document = _JSON.decode(text)
    except RecursionError:
        raise _too_deep() from None
    except ValueError as wrong:
        raise _bad(f"the request body is not valid JSON ({wrong}): send a JSON object") from None
    if not isinstance(document, dict):
        raise _bad(
            f"the request body is a JSON {_kind(document)}, not an object: send "
            '`{"query": "...", "variables": {...}}`'
        )
    if _depth(document) > MAX_JSON_DEPTH:
        raise _too_deep()
    _expect(document, "query", str, "a string holding the GraphQL document", required=True)
    _expect(document, "variables", dict, "an object")
    _expect(document, "operationName", str, "a string")
    _expect(document, "extensions", dict, "an object")
    return document


def _expect(
    document: dict[str, Any], key: str, kind: type, described: str, *, required: bool = False
) -> None:
    value = document.get(key)
    if value is None and not required:
        return
    if not isinstance(value, kind):
        found = "missing" if key not in document else f"a JSON {_kind(value)}"
        raise _bad(f"`{key}` must be {described}, but it is {found}: fix the request body")


def _depth(document: Any) -> int:
    """How deeply arrays and objects nest in `document`, counted without recursion."""
    deepest = 0
    pending = [(document, 1)]
    while pending:
        value, level = pending.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, level)
            children = value.values() if isinstance(value, dict) else value
            pending.extend((child, level + 1) for child in children)
    return deepest


def _kind(value: Any) -> str:
    names = {bool: "boolean", int: "number", float: "number", str: "string", list: "array"}
    return "null" if value is None else names.get(type(value), "object")


def _no_constants(name: str) -> None:
    raise ValueError(f"`{name}` is not a JSON number")


# One decoder for every body (`json.loads` with an option builds a new one each call).
_JSON = json.JSONDecoder(parse_constant=_no_constants)


def _bad(message: str) -> _Refused:
    return _Refused(400, message, "bad_request")


def _too_deep() -> _Refused:
    return _bad(
        f"the request body nests JSON more than {MAX_JSON_DEPTH} levels deep: flatten the variables"
    )


def _check_method(method: str) -> None:
    # Queries over GET would leak into logs and caches; there is no GraphiQL page to serve.
    if method != "POST":
        raise _Refused(
            405,
            f"/graphql answers POST only, not `{method}`: POST a JSON body",
            "method_not_allowed",
            {"allow": "POST"},
        )


def _check_declared_length(declared: str | None) -> None:
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _too_large()


def _too_large() -> _Refused:
    return _Refused(
        413,
        f"the request body is larger than {MAX_BODY_BYTES} bytes: send a smaller query "
        "or fewer variables",
        "request_too_large",
    )


def _check_content_type(header: str | None) -> None:
    # Only JSON: it also keeps cross-site HTML forms (which cannot send it) out.
    media_type = (header or "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        shown = f"`{media_type}`" if media_type else "missing"
        raise _Refused(
            415,
            f"the Content-Type is {shown}: send the request as `application/json`",
            "unsupported_media_type",
        )


class _ClientGone(Exception):
    """The client disconnected before sending its whole body: nobody to answer."""


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # `http.disconnect`, the only other one
            raise _ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _too_large()
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _answer(send: Send, refused: _Refused, fixed: list[tuple[bytes, bytes]]) -> None:
    body = error_body(str(refused), refused.code)
    headers = {"content-type": "application/json", "content-length": str(len(body))}
    headers.update(refused.headers)
    await send(
        {
            "type": "http.response.start",
            "status": refused.status,
            "headers": [(k.encode(), v.encode()) for k, v in headers.items()] + fixed,
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})
