"""An admin lists integrations or reads one, with its discovery status; secrets never leave."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from broker._lookup import require_allowed
from broker._text import KEY, check_text
from broker.errors import NotFound
from broker.integrations._config import read_config
from broker.integrations._kinds import kind_of
from broker.services import Services
from graph import Node
from policies.api_authz import Target

MOST_LISTED = 500
# what a database integration's settings may show again: never a password
_SHOWN = (
    *("host", "port", "database", "admin_user"),
    *("roles", "grants", "key_patterns", "sync_every_minutes"),
)


def list_integrations(services: Services, *, actor: str, limit: int = MOST_LISTED) -> list[Node]:
    """Every integration, by key, at most `limit` (capped at MOST_LISTED)."""
    require_allowed(services, actor, "manageIntegrations", Target.api())
    return services.store.find_nodes("Integration", limit=max(1, min(limit, MOST_LISTED)))


def get_integration(services: Services, *, actor: str, key: str) -> Node:
    check_text("integration key", key, most=KEY)
    require_allowed(services, actor, "manageIntegrations", Target.integration(key))
    node = services.store.get_node("Integration", key)
    if node is None:
        raise NotFound(f"integration `{key}` does not exist: list them with `integrations`")
    return node


def public_settings(node: Node) -> dict[str, Any]:
    """The settings of `node` an admin may see again: for a database where it connects and
    where its admin password comes from, never the password; nothing for other types (a
    webhook's URL may carry a secret path)."""
    if kind_of(node) is None:
        return {}
    config: Mapping[str, Any] = read_config(node)
    shown = {field: config[field] for field in _SHOWN if field in config}
    source = "stored"  # sealed in the config
    if config.get("admin_password_env"):
        source = f"env:{config['admin_password_env']}"
    elif config.get("admin_password_file"):
        source = f"file:{config['admin_password_file']}"
    shown["admin_password_from"] = source
    return shown
