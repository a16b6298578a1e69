"""Signing in with a local account over HTTP: /auth/login, /auth/logout, /auth/session
and the password reset. Each handler reads a small JSON body, calls one use case off the
event loop and maps its typed errors to a status; the session travels in a cookie."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Request, Router, get, post
from litestar.datastructures import State
from litestar.response import Response

from api.auth import (
    CSRF_HEADER,
    SESSION_COOKIE,
    mfa_pending_cookie,
    session_cookie,
    session_cookie_in,
    session_of,
)
from api.form_fields import BadBody, string_fields
from api.off_loop import off_loop
from broker import (
    DomainError,
    PendingSecondFactor,
    Services,
    SessionViewer,
    SignInThrottled,
    csrf_matches,
    csrf_token_for,
    end_session,
    request_password_reset,
    reset_password,
    sign_in,
)
from graph import Node

_STATUS = {
    "invalid_input": 400,
    "unauthenticated": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "rate_limited": 429,
    "mfa_code_refused": 401,
    "mfa_code_required": 400,
    "mfa_not_enrolled": 409,
}
FORGOT_ANSWER = (
    "if an account has this email, a link to reset its password is on its way: it works "
    "once, for 30 minutes"
)


def auth_router(*, public_url: str | None) -> Router:
    """The /auth routes; the cookie is Secure when users reach Keyturn over https."""
    secure = bool(public_url and public_url.lower().startswith("https://"))

    @post("/login", status_code=200)
    async def login(request: Request[Any, Any, Any], state: State) -> Response[Any]:
        services: Services = state.services
        try:
            fields = await string_fields(request, "email", "password")
        except BadBody as bad:
            return error_answer(400, str(bad), "invalid_input")
        client = client_address(request)
        stale = session_cookie_in(request.headers.get("cookie"))
        try:
            started = await off_loop(
                lambda: sign_in(
                    services, email=fields["email"], password=fields["password"], client=client
                )
            )
        except DomainError as refused:
            return refusal_answer(refused)
        if stale is not None:  # rotate: whatever id the browser had ends here
            await off_loop(end_session, services, stale)
        if isinstance(started, PendingSecondFactor):  # a code finishes it: POST /auth/mfa/verify
            waiting = Response({"mfa_required": True}, status_code=200)
            now = services.clock()
            waiting.set_cookie(mfa_pending_cookie(started, now=now, secure=secure))
            waiting.set_cookie(session_cookie(None, now=now, secure=secure))
            return waiting
        viewer = await session_of(services, started.session_id)
        if viewer is None:  # ended at once (disabled meanwhile): nobody is signed in
            return error_answer(401, "the session ended at once: sign in again", "unauthenticated")
        answer = who_answer(viewer.user, started.csrf_token)
        answer["expiresAt"] = started.expires_at
        response = Response(answer, status_code=200)
        response.set_cookie(session_cookie(started, now=services.clock(), secure=secure))
        return response

    @post("/logout", status_code=200)
    async def logout(request: Request[Any, Any, Any], state: State) -> Response[Any]:
        services: Services = state.services
        session_id = session_cookie_in(request.headers.get("cookie"))
        viewer = None if session_id is None else await session_of(services, session_id)
        if session_id is not None and viewer is not None:
            if not csrf_matches(viewer, request.headers.get(CSRF_HEADER)):
                return _csrf_refused()
            await off_loop(end_session, services, session_id)
        response = Response({"signedOut": True}, status_code=200)
        response.set_cookie(session_cookie(None, now=services.clock(), secure=secure))
        return response

    @get("/session")
    async def current(request: Request[Any, Any, Any], state: State) -> Response[Any]:
        services: Services = state.services
        session_id = session_cookie_in(request.headers.get("cookie"))
        viewer: SessionViewer | None = None
        if session_id is not None:
            viewer = await session_of(services, session_id)
        if session_id is None or viewer is None:
            return error_answer(401, "not signed in: POST /auth/login", "unauthenticated")
        return Response(who_answer(viewer.user, csrf_token_for(session_id)), status_code=200)

    @post("/password/forgot", status_code=202)
    async def forgot(request: Request[Any, Any, Any], state: State) -> Response[Any]:
        services: Services = state.services
        try:
            fields = await string_fields(request, "email")
        except BadBody as bad:
            return error_answer(400, str(bad), "invalid_input")
        client = client_address(request)
        try:
            await off_loop(
                lambda: request_password_reset(services, email=fields["email"], client=client)
            )
        except DomainError as refused:
            return refusal_answer(refused)
        return Response({"message": FORGOT_ANSWER}, status_code=202)

    @post("/password/reset", status_code=200)
    async def reset(request: Request[Any, Any, Any], state: State) -> Response[Any]:
        services: Services = state.services
        try:
            fields = await string_fields(request, "token", "password")
        except BadBody as bad:
            return error_answer(400, str(bad), "invalid_input")
        try:
            await off_loop(
                lambda: reset_password(services, token=fields["token"], password=fields["password"])
            )
        except DomainError as refused:
            return refusal_answer(refused)
        message = "the password is changed and every session ended: sign in with the new one"
        return Response({"message": message}, status_code=200)

    handlers: list[Callable[..., Any]] = [login, logout, current, forgot, reset]
    return Router(path="/auth", route_handlers=handlers)


def client_address(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


def who_answer(user: Node, csrf_token: str) -> dict[str, Any]:
    return {
        "user": {
            "email": str(user.props.get("email") or user.key),
            "name": str(user.props.get("full_name") or user.props.get("name") or ""),
            "role": str(user.props.get("role") or ""),
        },
        "csrfToken": csrf_token,
    }


def refusal_answer(refused: DomainError) -> Response[Any]:
    status = _STATUS.get(refused.code, 400)
    response = error_answer(status, str(refused), refused.code)
    if isinstance(refused, SignInThrottled):
        response.headers["retry-after"] = str(max(1, int(refused.retry_after)))
    return response


def _csrf_refused() -> Response[Any]:
    return error_answer(
        403,
        f"signing out needs the session's CSRF token in the `X-CSRF-Token` header "
        f"(the `{SESSION_COOKIE}` cookie alone is not enough)",
        "csrf",
    )


def error_answer(status: int, message: str, code: str) -> Response[Any]:
    return Response({"error": message, "code": code}, status_code=status)
