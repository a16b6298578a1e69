"""Opening an invitation over HTTP: `GET /invite/<token>` shows a small page (a password
form, or why the link no longer works), and `POST /auth/invite/accept` sets the password.

The page is plain HTML with no script and no inline style (the CSP allows neither); its
form posts to the accept route, which also takes JSON `{token, password}` from other
clients. Opening a link never changes anything; only the accept does, in one write.
"""

from __future__ import annotations

import html
import os
from typing import Any

from litestar import Request, get, post
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Response

from api.config import oidc_config
from api.form_fields import BadBody, string_fields
from api.off_loop import off_loop
from broker import REFUSALS, DomainError, InviteState, Services, accept_invite, look_up_invite

_STATUS = {"invalid_input": 400, "forbidden": 410, "not_found": 404, "conflict": 409}
_PAGE_STATUS = {
    InviteState.OPEN: 200,
    InviteState.USED: 409,
    InviteState.EXPIRED: 410,
    InviteState.INVALID: 404,
}
_NO_STORE = {"cache-control": "no-store"}  # the page's address holds the secret token
_FORM = "application/x-www-form-urlencoded"


@get("/invite/{token:str}")
async def invite_page(token: FromPath[str], state: State) -> Response[bytes]:
    """The password form for an open invitation; else a page saying why the link no longer
    works. Changes nothing."""
    services: Services = state.services
    found = await off_loop(look_up_invite, services, token)
    if found.state is not InviteState.OPEN:
        return _page("This invitation cannot be used", REFUSALS[found.state], found.state)
    body = (
        f"<p>Welcome, {html.escape(found.user)}. Choose a password of at least 12 "
        "characters to finish setting up your Keyturn account.</p>\n"
        '<form method="post" action="/auth/invite/accept">\n'
        f'<input type="hidden" name="token" value="{html.escape(token)}">\n'
        '<label>Password <input type="password" name="password" minlength="12" '
        'maxlength="256" autocomplete="new-password" required></label>\n'
        '<button type="submit">Set password</button>\n'
        "</form>" + _sso_choice()
    )
    return _html("Set your Keyturn password", body, 200)


@post("/auth/invite/accept", status_code=200)
async def accept_invitation(request: Request[Any, Any, Any], state: State) -> Response[Any]:
    """Set the password of the invitation `token`: JSON in, JSON out; a form post from the
    invitation page gets a page back."""
    services: Services = state.services
    from_form = request.headers.get("content-type", "").split(";")[0].strip() == _FORM
    try:
        fields = await string_fields(request, "token", "password", from_form=from_form)
    except BadBody as bad:
        return _answer(from_form, 400, str(bad), "invalid_input")
    try:
        user = await off_loop(
            lambda: accept_invite(services, token=fields["token"], password=fields["password"])
        )
    except DomainError as refused:
        status = _STATUS.get(refused.code, 400)
        return _answer(from_form, status, str(refused), refused.code)
    if from_form:
        done = f'Your password is set, {html.escape(user.key)}: <a href="/">sign in</a>.'
        return _html("Your Keyturn account is ready", f"<p>{done}</p>", 200)
    return Response({"email": user.key, "status": "ACTIVE"}, status_code=200)


def _sso_choice() -> str:
    """Where single sign-on is configured, the other way in: signing in with it binds the
    invited account (found by its email) and uses the invitation up."""
    try:
        configured = oidc_config(os.environ) is not None
    except ValueError:  # misconfigured: the SSO routes say so; the password still works
        configured = False
    if not configured:
        return ""
    return (
        "\n<p>Or, if your company signs you in with single sign-on as this email address, "
        '<a href="/auth/oidc/login">sign in with single sign-on</a> instead of choosing '
        "a password.</p>"
    )


def _answer(from_form: bool, status: int, message: str, code: str) -> Response[Any]:
    if from_form:
        back = "<p>Go back to the invitation link to try again.</p>"
        return _html("Your password was not set", f"<p>{html.escape(message)}</p>{back}", status)
    return Response({"error": message, "code": code}, status_code=status, headers=_NO_STORE)


def _page(title: str, message: str, state: InviteState) -> Response[bytes]:
    return _html(title, f"<p>{html.escape(message)}.</p>", _PAGE_STATUS[state])


def _html(title: str, body: str, status: int) -> Response[bytes]:
    page = (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n</head>\n<body>\n"
        f"<h1>{html.escape(title)}</h1>\n{body}\n</body>\n</html>\n"
    )
    return Response(page.encode(), status_code=status, media_type="text/html", headers=_NO_STORE)
