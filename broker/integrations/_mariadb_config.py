"""What a `mariadb` integration keeps in its sealed config: the server settings every
database integration has (broker.integrations._settings) and the privileges each Keyturn
permission grants on the requested database."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from broker.errors import InvalidInput
from broker.integrations._settings import PERMISSIONS, server_settings

MARIADB = "mariadb"
DEFAULT_GRANTS = {
    "read": ["SELECT", "SHOW VIEW"],
    "write": ["SELECT", "INSERT", "UPDATE", "DELETE", "SHOW VIEW"],
    "admin": ["ALL PRIVILEGES"],
}
# database-level privileges (MariaDB 10.11); nothing global, nothing with GRANT OPTION
PRIVILEGES = frozenset(
    {
        "ALL PRIVILEGES", "ALTER", "ALTER ROUTINE", "CREATE", "CREATE ROUTINE",
        "CREATE TEMPORARY TABLES", "CREATE VIEW", "DELETE", "DELETE HISTORY", "DROP", "EVENT",
        "EXECUTE", "INDEX", "INSERT", "LOCK TABLES", "REFERENCES", "SELECT", "SHOW VIEW",
        "TRIGGER", "UPDATE",
    }
)  # fmt: skip


def check_mariadb(key: str, config: Mapping[str, Any]) -> dict[str, Any]:
    """The config to seal for mariadb integration `key`; raise InvalidInput when wrong."""
    where = f"mariadb integration `{key}`"
    checked = server_settings(where, config, default_port=3306)
    checked["grants"] = _grants(config.get("grants", DEFAULT_GRANTS), where)
    return checked


def _grants(given: object, where: str) -> dict[str, list[str]]:
    example = '{"read": ["SELECT"]}'
    if not isinstance(given, Mapping) or not given:
        raise InvalidInput(
            f"{where} needs `grants`: the privileges each permission gives, e.g. {example}"
        )
    grants: dict[str, list[str]] = {}
    for permission, privileges in given.items():
        if permission not in PERMISSIONS:
            raise InvalidInput(
                f"`grants` of {where} names permission `{permission}`: use "
                f"{', '.join(f'`{p}`' for p in PERMISSIONS)}"
            )
        if not isinstance(privileges, list) or not privileges:
            raise InvalidInput(
                f"the grants for `{permission}` of {where} must list privileges, e.g. {example}"
            )
        wanted = [str(p).strip().upper() for p in privileges]
        unknown = [p for p in wanted if p not in PRIVILEGES]
        if unknown:
            raise InvalidInput(
                f"privilege `{unknown[0]}` for `{permission}` of {where} is not a database "
                f"privilege Keyturn grants: use {', '.join(sorted(PRIVILEGES))}"
            )
        grants[str(permission)] = sorted(set(wanted))
    return grants
