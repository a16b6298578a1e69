"""What a PostgreSQL server holds, read as the integration's admin: its databases and their
schemas, the login roles with the Keyturn permissions their role memberships amount to
(all for a superuser), and the logins Keyturn made (by their role comment)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import psycopg

from broker.integrations._postgresql import PostgresTarget, marker
from broker.integrations._provisioner import LOGIN_PREFIX
from broker.integrations._settings import PERMISSIONS
from broker.integrations._target_data import Found, Login

_DATABASES = """
SELECT datname FROM pg_database
WHERE NOT datistemplate AND datallowconn AND has_database_privilege(datname, 'CONNECT')
ORDER BY datname
"""
_SCHEMAS = r"""
SELECT nspname FROM pg_namespace
WHERE nspname NOT LIKE 'pg\_%' AND nspname <> 'information_schema'
ORDER BY nspname
"""
# pg_has_role(..., 'MEMBER') follows nested memberships, as the server does at login; by
# oid, so a mapped role that does not exist is no error here (the grant names it)
_LOGINS = """
SELECT r.rolname, r.rolsuper, coalesce(shobj_description(r.oid, 'pg_authid'), ''),
       array(SELECT x.rolname FROM pg_roles x
             WHERE x.rolname = ANY(%s) AND pg_has_role(r.oid, x.oid, 'MEMBER'))
FROM pg_roles r
WHERE r.rolcanlogin
ORDER BY r.rolname
"""


def discover(target: PostgresTarget) -> Found:
    """Read the server; IntegrationFailed when it cannot be reached or read."""
    found = Found()
    mapped = sorted({str(r) for r in (target.config.get("roles") or {}).values()})
    prefix = marker(target.integration)
    with target.connect() as admin:
        databases = [str(row[0]) for row in _rows(target, admin, _DATABASES)]
        for name, superuser, comment, roles in _rows(target, admin, _LOGINS, [mapped]):
            if str(name).startswith(LOGIN_PREFIX) and str(comment).startswith(prefix):
                found.made.append(str(name))
            else:
                permissions = _permissions(bool(superuser), roles, target.config)
                found.logins.append(Login(str(name), permissions))
    for database in databases:
        # a database dropped since it was listed is simply not there any more
        try:
            with target.connect(database) as reader:
                found.databases[database] = [str(r[0]) for r in _rows(target, reader, _SCHEMAS)]
        except Exception as failed:
            if database not in _still_there(target):
                continue
            raise failed
    return found


def _permissions(superuser: bool, roles: list[str], config: Mapping[str, Any]) -> tuple[str, ...]:
    if superuser:
        return PERMISSIONS
    mapping = config.get("roles") or {}
    return tuple(p for p in PERMISSIONS if p in mapping and mapping[p] in roles)


def _still_there(target: PostgresTarget) -> list[str]:
    with target.connect() as admin:
        return [str(row[0]) for row in _rows(target, admin, _DATABASES)]


def _rows(
    target: PostgresTarget, connection: psycopg.Connection[Any], query: str, args: Any = None
) -> list[tuple[Any, ...]]:
    try:
        return list(connection.execute(query, args).fetchall())
    except psycopg.Error as failed:
        raise target.failure("could not be read", failed) from None
