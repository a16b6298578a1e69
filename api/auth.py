"""Who is calling: a bearer API token in the Authorization header, or a browser session
in the `keyturn_session` cookie (whose requests must carry its CSRF token)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from litestar.datastructures import Cookie

from api.off_loop import off_loop
from api.token_cache import token_cache_for
from broker import (
    DomainError,
    PendingSecondFactor,
    Services,
    SessionViewer,
    StartedSession,
    authenticate,
    csrf_matches,
    mfa_enrolment_required,
    session_viewer,
)
from graph import Node

SESSION_COOKIE = "keyturn_session"
MFA_PENDING_COOKIE = "keyturn_mfa_pending"
MFA_PENDING_PATH = "/auth/mfa"
CSRF_HEADER = "x-csrf-token"


async def viewer_for(services: Services, header: str | None) -> tuple[Node | None, str]:
    """The authenticated user (or None) and, when there is none, why; off the event loop.

    Checking a token reads the graph twice (the token, then its owner: network round trips
    on Neo4j), so both run in one hop to the worker threads the use cases run on, and the
    loop keeps serving other callers meanwhile. A header that names no token costs no hop,
    and neither does a token answered from memory (`api.token_cache`: the embedded graph,
    while nothing in it has changed).
    """
    token, why = _bearer_token(header)
    if token is None:
        return None, why
    cache = token_cache_for(services)
    if cache is None:
        return await off_loop(_authenticated, services, token)
    remembered = cache.viewer(token, services.clock())
    if remembered is not None:
        return remembered, ""
    changes = cache.changes()  # before the read: a change during it makes the entry stale
    viewer, why = await off_loop(_authenticated, services, token)
    if viewer is not None:
        cache.remember(token, viewer, changes=changes, now=services.clock())
    return viewer, why


@dataclass(frozen=True)
class CookieCaller:
    """What a request's session cookie says: the viewer (None: no such live session) and
    whether the request carried that session's CSRF token."""

    viewer: Node | None
    csrf_ok: bool
    # an admin who must enrol in MFA first (broker.mfa_enrolment_required): nothing else
    mfa_enrolment_required: bool = False


async def session_caller(
    services: Services, cookie_header: str | None, csrf_header: str | None
) -> CookieCaller | None:
    """The caller behind the request's session cookie; None when it sends no cookie."""
    session_id = session_cookie_in(cookie_header)
    if session_id is None:
        return None

    def look_up() -> tuple[SessionViewer | None, bool]:
        # One hop off the loop for both reads: the session, then whether it may only enrol.
        found = session_viewer(services, session_id)
        if found is None:
            return None, False
        return found, mfa_enrolment_required(services, found.user, method=found.method)

    found, enrol_first = await off_loop(look_up)
    if found is None:
        return CookieCaller(None, False)
    return CookieCaller(found.user, csrf_matches(found, csrf_header), enrol_first)


async def session_of(services: Services, session_id: str) -> SessionViewer | None:
    """The live session behind `session_id`, looked up off the event loop."""
    return await off_loop(session_viewer, services, session_id)


def session_cookie_in(cookie_header: str | None, name: str = SESSION_COOKIE) -> str | None:
    """The `keyturn_session` (or another `name`d cookie's) value in a Cookie header, or
    None."""
    for part in (cookie_header or "").split(";"):
        found, sep, value = part.strip().partition("=")
        if sep and found == name and value:
            return value.strip('"')
    return None


def mfa_pending_cookie(pending: PendingSecondFactor | None, *, now: float, secure: bool) -> Cookie:
    """The cookie that carries a sign-in waiting for its code, only to /auth/mfa and only
    from Keyturn's own pages (SameSite=Strict); for None, the one that clears it."""
    held = None if pending is None else (pending.token, pending.expires_at)
    return secret_cookie(
        MFA_PENDING_COOKIE, held, path=MFA_PENDING_PATH, samesite="strict", now=now, secure=secure
    )


def session_cookie(started: StartedSession | None, *, now: float, secure: bool) -> Cookie:
    """The cookie that carries a session (HttpOnly: no script reads it; SameSite=Lax: no
    other site's form posts it), or, for None, the one that clears it."""
    held = None if started is None else (started.session_id, started.expires_at)
    return secret_cookie(SESSION_COOKIE, held, path="/", samesite="lax", now=now, secure=secure)


def secret_cookie(
    key: str,
    held: tuple[str, float] | None,
    *,
    path: str,
    samesite: Literal["lax", "strict"],
    now: float,
    secure: bool,
) -> Cookie:
    """An HttpOnly cookie carrying a secret (`held`: its value and when it expires) until
    then, or, for None, the one that clears it; Secure when users reach Keyturn over https."""
    value, max_age = ("", 0) if held is None else (held[0], max(0, int(held[1] - now)))
    return Cookie(
        key=key,
        value=value,
        path=path,
        max_age=max_age,
        httponly=True,
        samesite=samesite,
        secure=secure,
    )


def _bearer_token(header: str | None) -> tuple[str | None, str]:
    if not header:
        return None, "sign in: send `Authorization: Bearer <API token>`"
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None, "the Authorization header must be `Bearer <API token>`"
    return token.strip(), ""


def _authenticated(services: Services, token: str) -> tuple[Node | None, str]:
    try:
        return authenticate(services, token), ""
    except DomainError as refused:
        return None, str(refused)
