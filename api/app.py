"""The Litestar application: health, GraphQL and the web UI, plus the expiry scheduler."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from litestar import Litestar, get
from litestar.datastructures import Headers, State
from litestar.response import Response
from strawberry.litestar import make_graphql_controller

from api.auth import viewer_from_header
from api.graphql.context import KeyturnContext
from api.graphql.schema import schema
from broker import ExpiryScheduler, Services

_WEB_INDEX = Path(__file__).resolve().parent.parent / "web" / "index.html"


@get("/healthz", sync_to_thread=False)
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@get("/", sync_to_thread=False)
def index() -> Response[bytes]:
    body = _WEB_INDEX.read_bytes() if _WEB_INDEX.exists() else b"<h1>Keyturn</h1>"
    return Response(body, media_type="text/html")


async def _graphql_context(state: State, headers: Headers) -> dict[str, Any]:
    services: Services = state.services
    viewer, why = viewer_from_header(services, headers.get("authorization"))
    return {"keyturn": KeyturnContext(services=services, viewer=viewer, why_anonymous=why)}


def create_app(
    services: Services, *, expiry_interval: float = 1.0, owns_services: bool = False
) -> Litestar:
    """An app serving `services`; its lifespan runs the expiry scheduler.

    With `owns_services` the graph is closed at shutdown: uvicorn re-raises SIGTERM once
    the lifespan has ended, so code after `uvicorn.run` may never run.
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

    graphql = make_graphql_controller(
        schema,
        path="/graphql",
        context_getter=_graphql_context,
        allow_queries_via_get=False,
    )
    return Litestar(
        route_handlers=[healthz, index, graphql],
        state=State({"services": services}),
        lifespan=[run_scheduler],
    )
