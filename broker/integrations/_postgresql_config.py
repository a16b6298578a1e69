"""What a `postgresql` integration keeps in its sealed config: the server settings every
database integration has (broker.integrations._settings), the database the admin signs in
to, and the PostgreSQL role each Keyturn permission grants."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from broker.errors import InvalidInput
from broker.integrations._settings import PERMISSIONS, name, server_settings

POSTGRESQL = "postgresql"


def check_postgresql(key: str, config: Mapping[str, Any]) -> dict[str, Any]:
    """The config to seal for postgresql integration `key`; raise InvalidInput when wrong.
    Only its shape is checked here: `testIntegration` checks it against the server."""
    where = f"postgresql integration `{key}`"
    checked = server_settings(where, config, default_port=5432)
    checked["database"] = name(config.get("database", "postgres"), f"the `database` of {where}")
    checked["roles"] = _roles(config.get("roles"), where)
    return checked


def _roles(given: object, where: str) -> dict[str, str]:
    if not isinstance(given, Mapping) or not given:
        raise InvalidInput(
            f"{where} needs `roles`: the PostgreSQL role each permission grants, e.g. "
            '{"read": "pg_read_all_data"}'
        )
    roles: dict[str, str] = {}
    for permission, role in given.items():
        if permission not in PERMISSIONS:
            raise InvalidInput(
                f"`roles` of {where} names permission `{permission}`: use "
                f"{', '.join(f'`{p}`' for p in PERMISSIONS)}"
            )
        roles[str(permission)] = name(role, f"the role for `{permission}` of {where}")
    return roles
