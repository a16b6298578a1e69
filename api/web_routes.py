"""The web app: the single-page app built into web/dist, served at `/`.

Hashed assets under `/assets` are cached for good; every other address that is not the
API's (`/graphql`, `/auth`, `/invite`, `/scim`, `/healthz`) gets index.html, so the app's
own routes (`/requests/<id>` from a mail, `/reset/<token>`, ...) open on a fresh load.
When the app was never built the server says how to build it instead of a blank page.
`GET /auth/methods` tells the sign-in page whether single sign-on is configured.
"""

from __future__ import annotations

import os
from pathlib import Path

from litestar import get
from litestar.datastructures import CacheControlHeader
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Response
from litestar.static_files import create_static_files_router
from litestar.types import ControllerRouterHandler

from api.config import oidc_config

WEB_DIST = Path(__file__).resolve().parent.parent / "web" / "dist"
# Addresses the API owns: a miss there is a 404, never the app's page.
_API_PREFIXES = ("graphql", "auth", "invite", "scim", "healthz", "assets")
BUILD_HINT = (
    "the web app is not built: run `make web` (or `cd web && npm ci && npm run build`) "
    "and restart Keyturn; the API at /graphql works meanwhile"
)
_HINT_PAGE = (
    '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
    f"<title>Keyturn</title>\n</head>\n<body>\n<h1>Keyturn</h1>\n<p>{BUILD_HINT}</p>\n"
    "</body>\n</html>\n"
).encode()


def index_html(dist: Path = WEB_DIST) -> bytes:
    """The app's page, or the page saying how to build it."""
    index = dist / "index.html"
    return index.read_bytes() if index.is_file() else _HINT_PAGE


def web_routes(dist: Path = WEB_DIST) -> list[ControllerRouterHandler]:
    """The app's routes; index.html is read once here (restart after a rebuild)."""
    page = index_html(dist)
    built = (dist / "index.html").is_file()

    @get(["/", "/{path:path}"], sync_to_thread=False, include_in_schema=False)
    def app_page(path: FromPath[str] = "/") -> Response[bytes]:
        first = path.strip("/").split("/", 1)[0]
        last = path.rstrip("/").rsplit("/", 1)[-1]
        # `/favicon.ico` and the like are files, not app routes: a plain 404.
        if first in _API_PREFIXES or "." in last:
            raise NotFoundException(f"nothing at `{path}`")
        return Response(
            page,
            status_code=200 if built else 503,
            media_type="text/html",
            # The page names the current asset hashes: always ask again.
            headers={"cache-control": "no-cache"},
        )

    routes: list[ControllerRouterHandler] = [app_page, sign_in_methods]
    if (dist / "assets").is_dir():
        routes.append(
            create_static_files_router(
                path="/assets",
                directories=[dist / "assets"],
                name="web-assets",
                # Vite puts a content hash in every asset name: a new build, a new name.
                cache_control=CacheControlHeader(max_age=31536000, public=True, immutable=True),
            )
        )
    return routes


@get("/auth/methods", sync_to_thread=False)
def sign_in_methods() -> dict[str, bool]:
    """How one may sign in here; the sign-in page shows "Sign in with SSO" from this."""
    try:
        sso = oidc_config(os.environ) is not None
    except ValueError:
        sso = True  # configured, wrongly: the button leads to the page that says what is wrong
    return {"password": True, "sso": sso}
