"""Who is calling: a bearer API token in the Authorization header."""

from __future__ import annotations

from anyio import to_thread

from broker import DomainError, Services, authenticate
from graph import Node


async def viewer_for(services: Services, header: str | None) -> tuple[Node | None, str]:
    """The authenticated user (or None) and, when there is none, why; off the event loop.

    Checking a token reads the graph twice (the token, then its owner: network round trips
    on Neo4j), so both run in one hop to the worker threads the use cases run on, and the
    loop keeps serving other callers meanwhile. A header that names no token costs no hop.
    """
    token, why = _bearer_token(header)
    if token is None:
        return None, why
    return await to_thread.run_sync(_authenticated, services, token)


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
