"""Server settings: command-line flags, else environment variables, else safe defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from broker import OidcConfig
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


def oidc_config(environ: Mapping[str, str]) -> OidcConfig | None:
    """Single sign-on as the environment configures it; None when KEYTURN_OIDC_ISSUER is
    unset. Raises ValueError, naming the variable, for an incomplete or wrong setting.

    KEYTURN_OIDC_ISSUER, KEYTURN_OIDC_CLIENT_ID, KEYTURN_OIDC_CLIENT_SECRET: the provider.
    KEYTURN_OIDC_ROLE_CLAIM (e.g. `groups`) with KEYTURN_OIDC_ROLE_MAP
    (`value=role,value=role`), and KEYTURN_OIDC_ALLOWED_DOMAINS (`corp.example,...`) with
    KEYTURN_OIDC_DEFAULT_ROLE (default `grantee`): who may join without an invitation.
    KEYTURN_OIDC_SCOPES (default `openid email profile`): add e.g. `groups` when the
    provider releases the role claim only for that scope.
    """
    issuer = environ.get("KEYTURN_OIDC_ISSUER", "").strip()
    if not issuer:
        return None
    client_id = environ.get("KEYTURN_OIDC_CLIENT_ID", "").strip()
    client_secret = environ.get("KEYTURN_OIDC_CLIENT_SECRET", "")
    if not client_id or not client_secret:
        raise ValueError(
            "KEYTURN_OIDC_ISSUER is set but KEYTURN_OIDC_CLIENT_ID or "
            "KEYTURN_OIDC_CLIENT_SECRET is not: set both from the provider's client"
        )
    domains = frozenset(_listed(environ.get("KEYTURN_OIDC_ALLOWED_DOMAINS", "")))
    return OidcConfig(
        issuer=issuer,
        client_id=client_id,
        client_secret=client_secret,
        role_claim=environ.get("KEYTURN_OIDC_ROLE_CLAIM", "").strip() or None,
        role_map=_role_map(environ.get("KEYTURN_OIDC_ROLE_MAP", "")),
        allowed_domains=frozenset(d.lower() for d in domains),
        default_role=environ.get("KEYTURN_OIDC_DEFAULT_ROLE", "grantee") if domains else None,
        scope=_scope(environ.get("KEYTURN_OIDC_SCOPES", "")),
    )


def _scope(text: str) -> str:
    asked = text.replace(",", " ").split() or ["openid", "email", "profile"]
    if "openid" not in asked:
        asked.insert(0, "openid")  # without it there is no ID token
    return " ".join(asked)


def _listed(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _role_map(text: str) -> dict[str, str]:
    mapped = {}
    for pair in _listed(text):
        value, sep, role = pair.rpartition("=")
        if not sep or not value.strip():
            raise ValueError(
                f"KEYTURN_OIDC_ROLE_MAP entry `{pair}` is not `value=role`: "
                "write e.g. `keyturn-admins=admin,auditors=auditor`"
            )
        mapped[value.strip()] = role.strip()
    return mapped
