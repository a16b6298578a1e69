"""The Litestar application: health, GraphQL and the web UI, plus the expiry scheduler."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Request, asgi, get
from litestar.datastructures import State
from litestar.response import Response
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import Receive, Scope, Send

from api.access_log import AccessLog
from api.auth_routes import auth_router
from api.headers import SecurityHeaders
from api.http_guard import INTERNAL_ERROR, GraphQLEndpoint, error_body
from api.invite_routes import accept_invitation, invite_page
from api.link_routes import link_router
from api.mfa_routes import mfa_router
from api.oidc_routes import oidc_router
from api.report_routes import report_router
from api.scim import scim_router
from api.web_routes import index_html, web_routes
from broker import ExpiryScheduler, Services

_log = logging.getLogger(__name__)


@get("/healthz", sync_to_thread=False)
def healthz() -> dict[str, str]:
    return {"status": "ok"}


def _internal_error(request: Request[Any, Any, Any], failure: Exception) -> Response[bytes]:
    """Any unexpected failure: logged here with its traceback, answered without one."""
    _log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=failure)
    body = error_body(INTERNAL_ERROR, "internal")
    return Response(body, status_code=HTTP_500_INTERNAL_SERVER_ERROR, media_type="application/json")


def create_app(
    services: Services,
    *,
    expiry_interval: float = 1.0,
    owns_services: bool = False,
    public_url: str | None = None,
) -> Litestar:
    """An app serving `services`; its lifespan runs the expiry scheduler.

    With `owns_services` the graph is closed at shutdown: uvicorn re-raises SIGTERM once
    the lifespan has ended, so code after `uvicorn.run` may never run. `public_url` (the
    address users reach) turns on HSTS when it is https.
    """

    access_log = AccessLog()

    @asynccontextmanager
    async def run_scheduler(app: Litestar) -> AsyncIterator[None]:
        scheduler = ExpiryScheduler(services, interval=expiry_interval)
        scheduler.start()
        try:
            yield
        finally:
            access_log.flush()
            scheduler.stop()
            if owns_services:
                services.notifier.close()
                services.store.close()

    headers = SecurityHeaders(index_html=index_html(), public_url=public_url)
    endpoint = GraphQLEndpoint(services, headers.for_path("/graphql"))

    @asgi("/graphql", is_mount=False, copy_scope=False)
    async def graphql(scope: Scope, receive: Receive, send: Send) -> None:
        await endpoint(scope, receive, send)

    app = _KeyturnApp(
        route_handlers=[
            healthz,
            graphql,
            invite_page,
            accept_invitation,
            auth_router(public_url=public_url),
            mfa_router(public_url=public_url),
            oidc_router(public_url=public_url),
            link_router(public_url=public_url),
            scim_router(),
            report_router(),
            *web_routes(),
        ],
        state=State({"services": services}),
        lifespan=[run_scheduler],
        before_send=[headers],
        exception_handlers={HTTP_500_INTERNAL_SERVER_ERROR: _internal_error},
        # Never from LITESTAR_DEBUG: debug answers carry tracebacks.
        debug=False,
    )
    app.graphql_endpoint = endpoint
    app.access_log = access_log
    return app


class _KeyturnApp(Litestar):
    """Litestar, with each HTTP request noted in the access log and POST /graphql handed
    straight to its endpoint.

    Litestar's router, exception middleware and send hooks cost as much CPU as a small
    query; the endpoint answers every outcome itself, with the same security headers and
    the same generic 500 for a defect. Its route stays registered for the rest (a WebSocket
    upgrade is closed there).
    """

    graphql_endpoint: GraphQLEndpoint | None = None
    access_log: AccessLog | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or self.access_log is None:
            await self._answer(scope, receive, send)
            return
        await self.access_log.serve(self._answer, scope, receive, send)

    async def _answer(self, scope: Any, receive: Any, send: Any) -> None:
        endpoint = self.graphql_endpoint
        if endpoint is not None and scope["type"] == "http" and scope["path"] == "/graphql":
            scope["app"] = scope["litestar_app"] = self
            scope.setdefault("state", {})
            await endpoint(scope, receive, send)
            return
        await super().__call__(scope, receive, send)
