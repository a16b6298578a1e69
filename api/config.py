"""Server settings: command-line flags, else environment variables, else safe defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlsplit

from graph import DEFAULT_GRAPH_URL

_WILDCARDS = {"0.0.0.0", "::", ""}  # noqa: S104 (names the wildcard, binds nothing)


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    graph_url: str = DEFAULT_GRAPH_URL
    demo: bool = False
    expiry_interval: float = 1.0
    # The address users reach Keyturn at (mail links, HSTS); None: the listen address.
    public_url: str | None = None

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            host=os.environ.get("KEYTURN_HOST", cls.host),
            port=int(os.environ.get("KEYTURN_PORT", cls.port)),
            graph_url=os.environ.get("KEYTURN_GRAPH", cls.graph_url),
            demo=os.environ.get("KEYTURN_DEMO", "") in {"1", "true", "yes"},
            expiry_interval=float(os.environ.get("KEYTURN_EXPIRY_INTERVAL", cls.expiry_interval)),
            public_url=os.environ.get("KEYTURN_PUBLIC_URL") or None,
        )


def public_url_for(host: str, port: int, configured: str | None) -> str:
    """The base URL in links users follow: the configured one, else where we listen.

    Raises ValueError for a configured URL that is not http(s)://host[:port][/path].
    """
    if configured:
        parts = urlsplit(configured)
        if parts.scheme not in {"http", "https"} or not parts.hostname or parts.query:
            raise ValueError(
                f"KEYTURN_PUBLIC_URL `{configured}` is not a base URL: "
                "give one like `https://keyturn.example.com`"
            )
        return configured.rstrip("/")
    # A wildcard listen address is no place to send a browser to.
    shown = "localhost" if host in _WILDCARDS else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"
