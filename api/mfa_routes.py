"""The TOTP second factor over HTTP: /auth/mfa/enrol, /confirm and /disable for a signed-in
session (with its CSRF token), and /verify, which finishes a sign-in the password started.

Each handler reads a small JSON body, calls one use case off the event loop and maps its
typed errors as the other /auth routes do (`api.auth_routes`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Request, Router, post
from litestar.datastructures import State
from litestar.response import Response

from api.auth import (
    CSRF_HEADER,
    MFA_PENDING_COOKIE,
    mfa_pending_cookie,
    session_cookie,
    session_cookie_in,
    session_of,
)
from api.auth_routes import client_address, error_answer, refusal_answer, who_answer
from api.form_fields import BadBody, string_fields
from api.off_loop import off_loop
from broker import (
    DomainError,
    Services,
    SessionViewer,
    begin_mfa_enrolment,
    confirm_mfa_enrolment,
    csrf_matches,
    disable_mfa,
    finish_mfa_sign_in,
)


def mfa_router(*, public_url: str | None) -> Router:
    """The /auth/mfa routes; cookies are Secure when users reach Keyturn over https."""
    secure = bool(public_url and public_url.lower().startswith("https://"))

    @post("/enrol", status_code=200)
    async def enrol(request: Request[Any, Any, Any], state: State) -> Response[Any]:
        services: Services = state.services
        viewer = await _signed_in(services, request)
        if isinstance(viewer, Response):
            return viewer
        try:
            started = await off_loop(lambda: begin_mfa_enrolment(services, user=viewer.user.key))
        except DomainError as refused:
            return refusal_answer(refused)
        answer = {
            "secret": started.secret,
            "otpauthUri": started.uri,
            "next": "add it to an authenticator app, then POST /auth/mfa/confirm with a code",
        }
        return Response(answer, status_code=200, headers={"cache-control": "no-store"})

    @post("/confirm", status_code=200)
    async def confirm(request: Request[Any, Any, Any], state: State) -> Response[Any]:
        services: Services = state.services
        viewer = await _signed_in(services, request)
        if isinstance(viewer, Response):
            return viewer
        try:
            code = (await string_fields(request, "code"))["code"]
            codes = await off_loop(
                lambda: confirm_mfa_enrolment(services, user=viewer.user.key, code=code)
            )
        except BadBody as bad:
            return error_answer(400, str(bad), "invalid_input")
        except DomainError as refused:
            return refusal_answer(refused)
        answer = {
            "enrolled": True,
            "recoveryCodes": codes,
            "next": "keep the recovery codes somewhere safe: each works once, shown only now",
        }
        return Response(answer, status_code=200, headers={"cache-control": "no-store"})

    @post("/disable", status_code=200)
    async def disable(request: Request[Any, Any, Any], state: State) -> Response[Any]:
        services: Services = state.services
        viewer = await _signed_in(services, request)
        if isinstance(viewer, Response):
            return viewer
        try:
            code = (await string_fields(request, "code"))["code"]
            await off_loop(lambda: disable_mfa(services, user=viewer.user.key, code=code))
        except BadBody as bad:
            return error_answer(400, str(bad), "invalid_input")
        except DomainError as refused:
            return refusal_answer(refused)
        return Response({"enrolled": False}, status_code=200)

    @post("/verify", status_code=200)
    async def verify(request: Request[Any, Any, Any], state: State) -> Response[Any]:
        services: Services = state.services
        token = session_cookie_in(request.headers.get("cookie"), MFA_PENDING_COOKIE)
        if token is None:
            return error_answer(
                401,
                "no sign-in is waiting for a code here: sign in with your password first",
                "unauthenticated",
            )
        client = client_address(request)
        try:
            code = (await string_fields(request, "code"))["code"]
            started = await off_loop(
                lambda: finish_mfa_sign_in(services, token=token, code=code, client=client)
            )
        except BadBody as bad:
            return error_answer(400, str(bad), "invalid_input")
        except DomainError as refused:
            return refusal_answer(refused)
        viewer = await session_of(services, started.session_id)
        if viewer is None:  # ended at once (disabled meanwhile): nobody is signed in
            return error_answer(401, "the session ended at once: sign in again", "unauthenticated")
        answer = who_answer(viewer.user, started.csrf_token)
        answer["expiresAt"] = started.expires_at
        response = Response(answer, status_code=200)
        now = services.clock()
        response.set_cookie(session_cookie(started, now=now, secure=secure))
        response.set_cookie(mfa_pending_cookie(None, now=now, secure=secure))
        return response

    handlers: list[Callable[..., Any]] = [enrol, confirm, disable, verify]
    return Router(path="/auth/mfa", route_handlers=handlers)


async def _signed_in(
    services: Services, request: Request[Any, Any, Any]
) -> SessionViewer | Response[Any]:
    """The session behind the request's cookie, if it carries its CSRF token; else the
    refusal to answer with. Changing one's second factor is a browser session's business:
    an API token alone cannot."""
    session_id = session_cookie_in(request.headers.get("cookie"))
    viewer = None if session_id is None else await session_of(services, session_id)
    if viewer is None:
        return error_answer(401, "not signed in: POST /auth/login first", "unauthenticated")
    if not csrf_matches(viewer, request.headers.get(CSRF_HEADER)):
        return error_answer(
            403,
            "changing MFA needs the session's CSRF token in the `X-CSRF-Token` header: "
            "GET /auth/session gives it",
            "csrf",
        )
    return viewer
