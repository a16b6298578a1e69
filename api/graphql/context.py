"""Per-request GraphQL context: the services and the authenticated viewer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from graphql import GraphQLError
from strawberry.types import Info

from api.graphql.calls import current_call
from api.off_loop import off_loop
from broker import DomainError, Services
from graph import Node

T = TypeVar("T")


@dataclass
class KeyturnContext:
    services: Services
    viewer: Node | None
    why_anonymous: str


def context_of(info: Info[Any, Any]) -> KeyturnContext:
    ctx: KeyturnContext = info.context["keyturn"]
    return ctx


def viewer_of(info: Info[Any, Any]) -> Node:
    """The signed-in caller; every data-returning field starts here (deny by default) and
    hands its key to a broker use case, which asks the API policies what it may do."""
    ctx = context_of(info)
    if ctx.viewer is None:
        raise GraphQLError(ctx.why_anonymous, extensions={"code": "unauthenticated"})
    return ctx.viewer


async def run_use_case(fn: Any, /, *args: Any, **kwargs: Any) -> Any:
    """Run a blocking broker call off the event loop, within the caller's share of worker
    threads and only while the client is still there; map domain errors to GraphQL errors."""
    call = current_call.get()
    if call is None:
        return await _run(fn, *args, **kwargs)
    await call.take_turn()
    async with call.slots:
        if call.gone.is_set():
            raise GraphQLError(
                "the client went away: the rest of the request was not run",
                extensions={"code": "client_gone"},
            )
        return await _run(fn, *args, **kwargs)


async def _run(fn: Any, /, *args: Any, **kwargs: Any) -> Any:
    try:
        return await off_loop(lambda: fn(*args, **kwargs))
    except DomainError as refused:
        raise GraphQLError(str(refused), extensions={"code": refused.code}) from refused
