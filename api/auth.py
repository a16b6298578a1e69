"""Who is calling: a bearer API token in the Authorization header."""

from __future__ import annotations

from broker import DomainError, Services, authenticate
from graph import Node


def viewer_from_header(services: Services, header: str | None) -> tuple[Node | None, str]:
    """The authenticated user (or None) and, when there is none, why."""
    if not header:
        return None, "sign in: send `Authorization: Bearer <API token>`"
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None, "the Authorization header must be `Bearer <API token>`"
    try:
        return authenticate(services, token.strip()), ""
    except DomainError as refused:
        return None, str(refused)
