"""The Litestar application: health, GraphQL and the web UI, plus the expiry scheduler."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Request, Router, get
from litestar.datastructures import Headers, State
from litestar.response import Response
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import Scope
from strawberry.litestar import make_graphql_controller

from api.auth import viewer_for
from api.auth_routes import auth_router
from api.graphql.context import KeyturnContext
from api.graphql.fast_json import with_fast_json
from api.graphql.schema import schema
from api.headers import security_headers
from api.http_guard import GraphQLGuard, error_body, viewer_in
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


async def _graphql_context(state: State, scope: Scope, headers: Headers) -> dict[str, Any]:
    services: Services = state.services
    # The guard has authenticated the caller already (and answered 401 for nobody).
    decided = viewer_in(scope)
    if decided is None:
        # Not through the guard (a WebSocket): authenticate here, off the loop all the same.
        decided = await viewer_for(services, headers.get("authorization"))
    viewer, why = decided
    return {"keyturn": KeyturnContext(services=services, viewer=viewer, why_anonymous=why)}


def _internal_error(request: Request[Any, Any, Any], failure: Exception) -> Response[bytes]:
    """Any unexpected failure: logged here with its traceback, answered without one."""
    _log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=failure)
    body = error_body(
        "internal error: the server failed; the operator can find it in the log", "internal"
    )
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

    @asynccontextmanager
    async def run_scheduler(app: Litestar) -> AsyncIterator[None]:
        scheduler = ExpiryScheduler(services, interval=expiry_interval)
        scheduler.start()
        try:
            yield
        finally:
            scheduler.stop()
            if owns_services:
                services.notifier.close()
                services.store.close()

    graphql = with_fast_json(
        make_graphql_controller(
            schema,
            path="/graphql",
            context_getter=_graphql_context,
            allow_queries_via_get=False,
            # No subscriptions: a WebSocket would be a way around GraphQLGuard's checks.
            subscription_protocols=(),
            # GraphiQL loads its code from a CDN: a third party's script on the admin API.
            graphql_ide=None,
        )
    )
    guarded = Router(
        path="/",
        route_handlers=[graphql],
        # A closure, not DefineMiddleware(kwargs): Litestar deep-copies kwargs, and the
        # services hold locks.
        middleware=[lambda app: GraphQLGuard(app, services=services)],
    )
    return Litestar(
        route_handlers=[
            healthz,
            guarded,
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
        before_send=[security_headers(index_html=index_html(), public_url=public_url)],
        exception_handlers={HTTP_500_INTERNAL_SERVER_ERROR: _internal_error},
        # Never from LITESTAR_DEBUG: debug answers carry tracebacks.
        debug=False,
    )
