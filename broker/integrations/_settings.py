"""Settings every database integration keeps in its sealed config: where the server is,
the admin login, and where its password comes from (the config itself, an environment
variable, or a file)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from broker.errors import InvalidInput

PERMISSIONS = ("read", "write", "admin")
PASSWORD_SOURCES = ("admin_password", "admin_password_env", "admin_password_file")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$-]{0,62}$")
_HOST = re.compile(r"^[A-Za-z0-9.:_-]{1,253}$")
_ENV = re.compile(r"^[A-Z_][A-Z0-9_]{0,127}$")
_MOST_SYNC_MINUTES = 7 * 24 * 60


def server_settings(where: str, config: Mapping[str, Any], *, default_port: int) -> dict[str, Any]:
    """The checked host, port, admin login, password source and re-discovery interval."""
    host = str(config.get("host") or "")
    if not _HOST.match(host):
        raise InvalidInput(f"{where} needs a `host`, a name or address such as `db.corp.internal`")
    checked: dict[str, Any] = {
        "host": host,
        "port": whole_number(config.get("port", default_port), f"the `port` of {where}", 1, 65535),
        "admin_user": name(config.get("admin_user"), f"the `admin_user` of {where}"),
        "sync_every_minutes": whole_number(
            config.get("sync_every_minutes", 0),
            f"`sync_every_minutes` of {where}",
            0,
            _MOST_SYNC_MINUTES,
        ),
    }
    given = [field for field in PASSWORD_SOURCES if config.get(field)]
    if len(given) != 1:
        raise InvalidInput(
            f"{where} needs exactly one of `admin_password`, `admin_password_env` (the name "
            "of an environment variable) or `admin_password_file` (a path)"
        )
    source = given[0]
    value = str(config[source])
    if source == "admin_password_env" and not _ENV.match(value):
        raise InvalidInput(
            f"`admin_password_env` of {where} must be a variable name such as `DB_ADMIN_PASSWORD`"
        )
    if source == "admin_password_file" and not value.startswith("/"):
        raise InvalidInput(f"`admin_password_file` of {where} must be an absolute path")
    checked[source] = value
    return checked


def admin_password(key: str, config: Mapping[str, Any]) -> str:
    """The admin password of integration `key`, read now from where the config says."""
    if config.get("admin_password"):
        return str(config["admin_password"])
    env = str(config.get("admin_password_env") or "")
    if env:
        found = os.environ.get(env, "")
        if not found:
            raise InvalidInput(
                f"environment variable `{env}` holding integration `{key}`'s admin password "
                "is not set in this process: set it, or save the password instead"
            )
        return found
    path = str(config.get("admin_password_file") or "")
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError as failed:
        raise InvalidInput(
            f"the admin password file `{path}` of integration `{key}` cannot be read "
            f"({type(failed).__name__}): check that it exists and this process may read it"
        ) from None


def name(given: object, what: str) -> str:
    text = "" if given is None else str(given)
    if not _NAME.match(text):
        raise InvalidInput(f"{what} must be a PostgreSQL name (letters, digits, `_`), got `{text}`")
    return text


def whole_number(given: object, what: str, least: int, most: int) -> int:
    if isinstance(given, bool) or not isinstance(given, int | str):
        raise InvalidInput(f"{what} must be a whole number from {least} to {most}")
    try:
        number = int(given)
    except ValueError:
        raise InvalidInput(f"{what} must be a whole number from {least} to {most}") from None
    if not least <= number <= most:
        raise InvalidInput(f"{what} must be a whole number from {least} to {most}, got {number}")
    return number
