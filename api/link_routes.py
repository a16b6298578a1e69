"""Access links over HTTP, for the web app's page at `/l/<token>`: JSON under `/auth/link`.

    POST /auth/link/open       {token}                 what the link offers
    POST /auth/link/code       {token, email, name}    mail a one-time code (202, same answer)
    POST /auth/link/verify     {token, email, code}    start a link session (cookie)
    GET  /auth/link/session                            who, and the link's offer
    POST /auth/link/requests   {resource, permissions, durationMinutes, justification}
    GET  /auth/link/requests                           what they asked through the link
    GET  /auth/link/requests/<id>/access               access details of a granted request
    POST /auth/link/logout

The token travels in bodies, never in these addresses (logs keep no working link). The
session cookie `keyturn_link_session` is its own (HttpOnly, SameSite=Strict, path
`/auth/link`): no other route reads it, so it can never reach `/graphql` or an admin
operation. Requests that use it must be JSON, which no other site's form can send.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from litestar import Request, Router, get, post
from litestar.datastructures import Cookie, State
from litestar.params import FromPath
from litestar.response import Response

from api.auth import secret_cookie, session_cookie_in
from api.auth_routes import client_address, error_answer
from api.form_fields import MAX_BODY, BadBody, string_fields
from api.off_loop import off_loop
from broker import (
    DomainError,
    LinkOffer,
    LinkRefused,
    LinkState,
    LinkThrottled,
    LinkViewer,
    Services,
    StartedLinkSession,
    end_link_session,
    link_access_details,
    link_offer,
    link_requests,
    link_viewer,
    open_link,
    request_code,
    request_through_link,
    verify_code,
)
from graph import Node

LINK_COOKIE = "keyturn_link_session"
LINK_PREFIX = "/auth/link"
CODE_SENT = "if this address may use the link, a code is on its way: it works once, for 10 minutes"
_STATUS = {
    "invalid_input": 400,
    "unauthenticated": 401,
    "forbidden": 403,
    "access_denied": 403,
    "not_found": 404,
    "conflict": 409,
    "rate_limited": 429,
}
_LINK_STATUS = {LinkState.INVALID: 404, LinkState.EXPIRED: 410, LinkState.USED_UP: 410}
_JSON_ONLY = "send the request as JSON (`content-type: application/json`)"
_NOT_SIGNED_IN = "no link session: open your access link and confirm your email with a code"


def link_router(*, public_url: str | None) -> Router:
    """The /auth/link routes; the cookie is Secure when users reach Keyturn over https."""
    secure = bool(public_url and public_url.lower().startswith("https://"))

    @post("/open", status_code=200)
    async def open_(request: Request[Any, Any, Any], state: State) -> Response[Any]:
        services: Services = state.services
        try:
            fields = await string_fields(request, "token")
            link = await off_loop(
                lambda: open_link(services, token=fields["token"], client=client_address(request))
            )
            offer = await off_loop(link_offer, services, link)
        except (BadBody, DomainError) as refused:
            return _refusal(refused)
        return Response({"offer": _offer(offer)}, status_code=200)

    @post("/code", status_code=202)
    async def code(request: Request[Any, Any, Any], state: State) -> Response[Any]:
        services: Services = state.services
        try:
            fields = await string_fields(request, "token", "email", "name")
            await off_loop(lambda: request_code(services, **fields, client=client_address(request)))
        except (BadBody, DomainError) as refused:
            return _refusal(refused)
        return Response({"message": CODE_SENT}, status_code=202)

    @post("/verify", status_code=200)
    async def verify(request: Request[Any, Any, Any], state: State) -> Response[Any]:
        services: Services = state.services
        try:
            fields = await string_fields(request, "token", "email", "code")
            started = await off_loop(
                lambda: verify_code(services, **fields, client=client_address(request))
            )
        except (BadBody, DomainError) as refused:
            return _refusal(refused)
        viewer = await off_loop(link_viewer, services, started.session_id)
        if viewer is None:  # ended at once: nobody is signed in
            return error_answer(401, _NOT_SIGNED_IN, "unauthenticated")
        answer = await off_loop(_who, services, viewer)
        response = Response(answer, status_code=200)
        response.set_cookie(_cookie(started, now=services.clock(), secure=secure))
        return response

    @get("/session")
    async def session(request: Request[Any, Any, Any], state: State) -> Response[Any]:
        services: Services = state.services
        viewer = await _viewer(request, services)
        if viewer is None:
            return error_answer(401, _NOT_SIGNED_IN, "unauthenticated")
        return Response(await off_loop(_who, services, viewer), status_code=200)

    @post("/requests", status_code=201)
    async def ask(request: Request[Any, Any, Any], state: State) -> Response[Any]:
        services: Services = state.services
        viewer = await _viewer(request, services)
        if viewer is None:
            return error_answer(401, _NOT_SIGNED_IN, "unauthenticated")
        if not _is_json(request):
            return error_answer(
                415, "send the request as JSON (`content-type: application/json`)", "csrf"
            )
        try:
            body = await _json_object(request)
            made = await off_loop(lambda: _ask(services, viewer, body))
        except (BadBody, DomainError) as refused:
            return _refusal(refused)
        return Response({"request": _request(made)}, status_code=201)

    @get("/requests")
    async def mine(request: Request[Any, Any, Any], state: State) -> Response[Any]:
        services: Services = state.services
        viewer = await _viewer(request, services)
        if viewer is None:
            return error_answer(401, _NOT_SIGNED_IN, "unauthenticated")
        found = await off_loop(lambda: link_requests(services, viewer=viewer))
        return Response({"requests": [_request(n) for n in found]}, status_code=200)

    @get("/requests/{request_id:str}/access")
    async def access(
        request: Request[Any, Any, Any], state: State, request_id: FromPath[str]
    ) -> Response[Any]:
        services: Services = state.services
        viewer = await _viewer(request, services)
        if viewer is None:
            return error_answer(401, _NOT_SIGNED_IN, "unauthenticated")
        try:
            details = await off_loop(
                lambda: link_access_details(services, viewer=viewer, request=request_id)
            )
        except DomainError as refused:
            return _refusal(refused)
        return Response({"request": request_id, "details": details}, status_code=200)

    @post("/logout", status_code=200)
    async def logout(request: Request[Any, Any, Any], state: State) -> Response[Any]:
        services: Services = state.services
        session_id = session_cookie_in(request.headers.get("cookie"), LINK_COOKIE)
        if session_id is not None:
            if not _is_json(request):
                return error_answer(415, "send `{}` as JSON to sign out", "csrf")
            await off_loop(end_link_session, services, session_id)
        response = Response({"signedOut": True}, status_code=200)
        response.set_cookie(_cookie(None, now=services.clock(), secure=secure))
        return response

    handlers: list[Callable[..., Any]] = [open_, code, verify, session, ask, mine, access, logout]
    return Router(path=LINK_PREFIX, route_handlers=handlers)


async def _viewer(request: Request[Any, Any, Any], services: Services) -> LinkViewer | None:
    session_id = session_cookie_in(request.headers.get("cookie"), LINK_COOKIE)
    if session_id is None:
        return None
    return await off_loop(link_viewer, services, session_id)


def _cookie(started: StartedLinkSession | None, *, now: float, secure: bool) -> Cookie:
    held = None if started is None else (started.session_id, started.expires_at)
    return secret_cookie(
        LINK_COOKIE, held, path=LINK_PREFIX, samesite="strict", now=now, secure=secure
    )


def _is_json(request: Request[Any, Any, Any]) -> bool:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return kind == "application/json"


async def _json_object(request: Request[Any, Any, Any]) -> dict[str, Any]:
    body = await request.body()
    if len(body) > MAX_BODY:
        raise BadBody(f"the request body is larger than {MAX_BODY} bytes")
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        document = None
    if not isinstance(document, dict):
        raise BadBody(
            'send a JSON object: {"resource": "...", "permissions": ["..."], '
            '"durationMinutes": 60, "justification": "..."}'
        )
    return document


def _ask(services: Services, viewer: LinkViewer, body: dict[str, Any]) -> Node:
    resource, justification = body.get("resource"), body.get("justification", "")
    permissions, minutes = body.get("permissions"), body.get("durationMinutes")
    if not isinstance(resource, str) or not isinstance(justification, str):
        raise BadBody("`resource` and `justification` must be strings")
    if not isinstance(permissions, list) or not all(isinstance(p, str) for p in permissions):
        raise BadBody('`permissions` must be a list of strings, e.g. ["read"]')
    if minutes is not None and (not isinstance(minutes, int) or isinstance(minutes, bool)):
        raise BadBody("`durationMinutes` must be a whole number of minutes, or absent")
    return request_through_link(
        services,
        viewer=viewer,
        resource=resource,
        permissions=permissions,
        duration_minutes=minutes,
        justification=justification,
    )


def _who(services: Services, viewer: LinkViewer) -> dict[str, Any]:
    person = viewer.external
    return {
        "external": {"email": person.key, "name": str(person.props.get("name") or "")},
        "offer": _offer(link_offer(services, viewer.link)),
    }


def _offer(offer: LinkOffer) -> dict[str, Any]:
    flow = offer.flow
    return {
        "link": offer.link,
        "flow": flow.name,
        "resources": [{"key": key, "name": name} for key, name in offer.resources],
        "permissions": list(flow.permissions),
        "maxDurationMinutes": flow.max_duration_minutes,
        "defaultDurationMinutes": flow.duration_default,
        "justificationRequired": flow.justification_required,
        "expiresAt": offer.expires_at,
        "allowedEmailDomains": list(offer.allowed_domains),
    }


def _request(node: Node) -> dict[str, Any]:
    props = node.props
    return {
        "id": node.key,
        "resource": props.get("resource"),
        "permissions": list(props.get("permissions") or []),
        "durationMinutes": props.get("duration_minutes"),
        "justification": props.get("justification", ""),
        "state": props.get("state"),
        "createdAt": props.get("created_at"),
        "decidedAt": props.get("decided_at"),
        "grantedAt": props.get("granted_at"),
        "expiresAt": props.get("expires_at"),
        "reason": props.get("reason"),
    }


def _refusal(refused: Exception) -> Response[Any]:
    if isinstance(refused, BadBody):
        return error_answer(400, str(refused), "invalid_input")
    assert isinstance(refused, DomainError)
    if isinstance(refused, LinkRefused):
        return error_answer(
            _LINK_STATUS[refused.state], str(refused), f"link_{refused.state.value}"
        )
    response = error_answer(_STATUS.get(refused.code, 400), str(refused), refused.code)
    if isinstance(refused, LinkThrottled):
        response.headers["retry-after"] = str(max(1, int(refused.retry_after)))
    return response
