"""Typed domain errors: every refused action raises one; the transport maps them."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the broker raises on purpose; the message is for people."""

    code = "error"


class InvalidInput(DomainError):
    code = "invalid_input"


class NotFound(DomainError):
    code = "not_found"


class AccessDenied(DomainError):
    """No access flow allows the request; the message names the resource and why."""

    code = "access_denied"


class Forbidden(DomainError):
    """The caller's role or relation to the object does not permit the operation."""

    code = "forbidden"


class Unauthenticated(DomainError):
    code = "unauthenticated"


class StateConflict(DomainError):
    """The object is no longer in the state the operation needs (or another caller won)."""

    code = "conflict"
