"""Security headers on every response, the 404s and 500s included."""

from __future__ import annotations

import base64
import hashlib
import re

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

# Responses that carry tokens, sessions or private data must never be cached on the way.
_NO_STORE_PATHS = ("/graphql", "/auth")
_STYLE = re.compile(rb"<style[^>]*>(.*?)</style>", re.DOTALL | re.IGNORECASE)
# The GraphQL explorer's editor (GraphiQL's Monaco) sets inline styles and loads a font from
# a data: URL. Only a document loaded at this address gets a policy allowing those two
# (scripts stay same-origin only), so every other page keeps the strict policy; the app
# links here with a full page load for that reason.
EXPLORER_PATH = "/console/graphql"
_EXPLORER_STYLE = "style-src 'self' 'unsafe-inline'; font-src 'self' data:"


def content_security_policy(index_html: bytes) -> str:
    """Same-origin only; the page's own inline `<style>` blocks are allowed by their hash,
    so `unsafe-inline` is never needed (and an injected style or script is refused)."""
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(block).digest()).decode()}'"
        for block in _STYLE.findall(index_html)
    )
    style = f"style-src 'self' {hashes}".rstrip()
    return _policy(style)


def explorer_content_security_policy() -> str:
    """The policy of a document loaded at EXPLORER_PATH (see there)."""
    return _policy(_EXPLORER_STYLE)


def _policy(style: str) -> str:
    return (
        f"default-src 'self'; {style}; img-src 'self' data:; object-src 'none'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )


class SecurityHeaders:
    """The headers each response gets, by its path; called, a Litestar `before_send` hook
    that adds them to each response start."""

    def __init__(self, *, index_html: bytes, public_url: str | None) -> None:
        self._fixed = {
            "content-security-policy": content_security_policy(index_html),
            "x-content-type-options": "nosniff",
            "referrer-policy": "no-referrer",
            "x-frame-options": "DENY",
            "cross-origin-opener-policy": "same-origin",
            "cross-origin-resource-policy": "same-origin",
            "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
        }
        if public_url and public_url.lower().startswith("https://"):
            # Only when served over TLS: over plain HTTP browsers ignore it anyway.
            self._fixed["strict-transport-security"] = "max-age=31536000; includeSubDomains"
        self._explorer_policy = explorer_content_security_policy()

    def for_path(self, path: str) -> dict[str, str]:
        """The headers of a response at `path`."""
        headers = dict(self._fixed)
        if path.rstrip("/") == EXPLORER_PATH:
            headers["content-security-policy"] = self._explorer_policy
        if any(path == p or path.startswith(p + "/") for p in _NO_STORE_PATHS):
            headers["cache-control"] = "no-store"
        return headers

    async def __call__(self, message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = MutableScopeHeaders.from_message(message)
        for name, value in self.for_path(scope.get("path", "")).items():
            headers[name] = value
