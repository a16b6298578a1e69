"""The SCIM protocol's refusals (RFC 7644 §3.12): an HTTP status and, for a 400 or a 409,
the `scimType` a client acts on."""

from __future__ import annotations

from broker.errors import DomainError


class ScimError(DomainError):
    """A SCIM request refused before anything was written."""

    def __init__(self, status: int, detail: str, scim_type: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.scim_type = scim_type


def invalid_value(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidValue")


def invalid_path(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidPath")


def invalid_filter(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidFilter")


def invalid_syntax(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidSyntax")


def not_found(what: str, key: str) -> ScimError:
    return ScimError(404, f"no {what} `{key}` exists: list /{what}s to find its id")
