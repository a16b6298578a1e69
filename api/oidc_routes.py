"""Single sign-on over HTTP: `/auth/oidc/login` sends the browser to the identity provider,
`/auth/oidc/callback` takes its answer and signs the person in with a session cookie.

The protocol and who may sign in are the broker's (`begin_login`, `finish_login`,
`sign_in_with_sso`); this module only carries them over HTTP and answers every refusal
with a plain page that says what to do, never a stack trace.
"""

from __future__ import annotations

import html
import os
import time
from typing import Any

from litestar import Request, Router, get
from litestar.datastructures import Cookie, State
from litestar.response import Redirect, Response
from litestar.status_codes import (
    HTTP_401_UNAUTHORIZED,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_503_SERVICE_UNAVAILABLE,
)

from api.auth import session_cookie, session_cookie_in
from api.config import oidc_config, public_url_for
from broker import (
    DomainError,
    Forbidden,
    OidcConfig,
    PendingLogin,
    Services,
    StateConflict,
    begin_login,
    end_session,
    finish_login,
    sign_in_with_sso,
)

PENDING_COOKIE = "keyturn_oidc"
_PENDING_PATH = "/auth/oidc"
_CALLBACK = "/auth/oidc/callback"
_MAX_PARAM = 4096  # codes and states are far shorter; longer is not an answer to us


class _Refusal(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def oidc_router(*, public_url: str | None) -> Router:
    """The /auth/oidc routes; the cookies are Secure when users reach Keyturn over https."""

    @get("/login", sync_to_thread=True)
    def login(request: Request[Any, Any, Any]) -> Response[Any]:
        """Redirect to the identity provider with a fresh state, nonce and PKCE challenge;
        the browser keeps them, sealed, in a short-lived HttpOnly cookie for the callback."""
        try:
            config = _configured()
            base = _public_base(request, public_url)
            url, pending = begin_login(config, redirect_uri=base + _CALLBACK)
        except _Refusal as refused:
            return _page(refused.status, str(refused))
        except DomainError as refused:
            return _page(HTTP_503_SERVICE_UNAVAILABLE, str(refused))
        redirect = Redirect(url, status_code=303)
        redirect.set_cookie(_pending_cookie(pending.sealed(), base, int(pending.lifetime_seconds)))
        return redirect

    @get("/callback", sync_to_thread=True)
    def callback(request: Request[Any, Any, Any], state: State) -> Response[Any]:
        """Finish the sign-in the provider answered: on success a new session cookie (any
        session the browser had ends: sessions rotate at sign-in) and a redirect home; else
        a page naming what was wrong. Either way the pending login is spent."""
        services: Services = state.services
        base = public_url or ""
        try:
            config = _configured()
            base = _public_base(request, public_url)
            pending = PendingLogin.unsealed(request.cookies.get(PENDING_COOKIE), now=time.time())
            identity = finish_login(config, pending, _callback_params(request))
            client = request.client.host if request.client else "unknown"
            started = sign_in_with_sso(services, config, identity, client=client)
        except _Refusal as refused:
            response = _page(refused.status, str(refused))
        except DomainError as refused:
            response = _page(_status_for(refused), str(refused))
        else:
            stale = session_cookie_in(request.headers.get("cookie"))
            if stale is not None:
                end_session(services, stale)
            response = Redirect("/", status_code=303)
            secure = base.startswith("https://")
            response.set_cookie(session_cookie(started, now=services.clock(), secure=secure))
        response.set_cookie(_pending_cookie("", base, 0))
        return response

    return Router(path=_PENDING_PATH, route_handlers=[login, callback])


def _configured() -> OidcConfig:
    try:
        config = oidc_config(os.environ)
    except ValueError as wrong:
        message = f"single sign-on is misconfigured: {wrong}"
        raise _Refusal(HTTP_503_SERVICE_UNAVAILABLE, message) from None
    if config is None:
        raise _Refusal(
            HTTP_404_NOT_FOUND,
            "single sign-on is not configured for this Keyturn: sign in with your email "
            "and password, or ask an admin to set KEYTURN_OIDC_ISSUER",
        )
    return config


def _public_base(request: Request[Any, Any, Any], public_url: str | None) -> str:
    """Where browsers reach Keyturn: its public URL, else the address asked for."""
    configured = public_url or str(request.base_url)
    try:
        return public_url_for("", 0, configured)
    except ValueError as wrong:
        raise _Refusal(HTTP_503_SERVICE_UNAVAILABLE, str(wrong)) from None


def _callback_params(request: Request[Any, Any, Any]) -> dict[str, str]:
    params = {}
    for name in ("code", "state", "iss", "error"):
        value = request.query_params.get(name)
        if value is None:
            continue
        if len(value) > _MAX_PARAM:
            raise _Refusal(
                HTTP_401_UNAUTHORIZED,
                f"the sign-in answer's `{name}` is too long to be real: start again",
            )
        params[name] = value
    return params


def _pending_cookie(value: str, base: str, max_age: int) -> Cookie:
    # SameSite=Lax: the provider's redirect back is a top-level GET, which Lax lets through.
    return Cookie(
        key=PENDING_COOKIE,
        value=value,
        path=_PENDING_PATH,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=base.startswith("https://"),
    )


def _status_for(refused: DomainError) -> int:
    if isinstance(refused, Forbidden):
        return HTTP_403_FORBIDDEN
    if isinstance(refused, StateConflict):
        return HTTP_409_CONFLICT
    return HTTP_401_UNAUTHORIZED


def _page(status: int, message: str) -> Response[Any]:
    text = html.escape(message)
    body = (
        "<!doctype html><html lang=en><meta charset=utf-8><title>Keyturn sign-in</title>"
        f"<h1>Single sign-on did not sign you in</h1><p>{text}</p>"
        '<p><a href="/">Back to Keyturn</a></p></html>'
    )
    return Response(body, status_code=status, media_type="text/html")
