"""The `mariadb` integration: each grant is a user of its own on the requested database.

Grant (MariaDB's account statements are not transactional: a refused GRANT is undone by
dropping the user it made):

    CREATE OR REPLACE USER 'kt_<integration>_<id>'@'%' IDENTIFIED BY PASSWORD '<hash>';
    GRANT <mapped privileges> ON `<database>`.* TO 'kt_...'@'%';

The password is hashed by Keyturn (mysql_native_password), so the server and its logs
never see it. MariaDB has no account expiry by time: the grant ends when the scheduler
revokes it. Revoke: `ALTER USER ... ACCOUNT LOCK`, `KILL CONNECTION` for each of its
sessions, `DROP USER IF EXISTS`; a user already gone is a revoke already done.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import pymysql

from broker.integrations._provisioner import (
    AdminTarget,
    LoginProvisioner,
    TargetUnreachable,
    database_details,
    expiry_of,
    new_password,
    prefix_of,
)

# re-exported: how a mariadb user is named
from broker.integrations._provisioner import login_for as login_for
from broker.integrations._target_data import Found, IntegrationCheck, Login
from broker.integrations._webhook import IntegrationFailed
from graph import Node

CONNECT_TIMEOUT = 5
_SYSTEM = frozenset({"information_schema", "mysql", "performance_schema", "sys"})
_UNREACHABLE = frozenset({2003, 2006, 2013})  # can't connect, gone away, lost connection
# what `ALL PRIVILEGES` on a database shows as, for standing access
_ALL = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER", "INDEX"})


def native_password_hash(password: str) -> str:
    """`PASSWORD(password)` as mysql_native_password stores it: `*` + SHA1(SHA1(pw))."""
    inner = hashlib.sha1(password.encode()).digest()  # noqa: S324 - the protocol's hash
    return "*" + hashlib.sha1(inner).hexdigest().upper()  # noqa: S324


class MariaDBTarget(AdminTarget):
    kind = "mariadb"

    @contextmanager
    def connect(self) -> Iterator[Any]:
        """An autocommit admin connection; IntegrationFailed when it cannot be opened."""
        password = self._admin_password()
        try:
            connection = pymysql.connect(
                host=self.host,
                port=self.port,
                user=str(self.config["admin_user"]),
                password=password,
                connect_timeout=CONNECT_TIMEOUT,
                autocommit=True,
            )
        except pymysql.err.MySQLError as failed:
            error = self.failure("could not connect", failed)
            if failed.args and failed.args[0] in _UNREACHABLE:
                raise TargetUnreachable(str(error)) from None
            raise error from None
        try:
            yield connection
        finally:
            connection.close()

    def drop_login(self, admin: Any, login: str) -> bool:
        return drop_user(self, admin, login)

    def _message_of(self, failed: BaseException) -> str:
        args: tuple[Any, ...] = tuple(getattr(failed, "args", ()))
        return str(args[1]) if len(args) > 1 else super()._message_of(failed)

    def run(self, connection: Any, doing: str, statement: str, args: Any = None) -> list[Any]:
        try:
            with connection.cursor() as cursor:
                cursor.execute(statement, args)
                return list(cursor.fetchall())
        except pymysql.err.MySQLError as failed:
            raise self.failure(doing, failed) from None


class MariaDBIntegration(LoginProvisioner[MariaDBTarget]):
    def _grant_once(self, request: Node) -> dict[str, str]:
        target = self._target
        database = self._database_of(request)
        privileges = self._privileges(request)
        login = self._login_of(request)
        password = new_password()
        until = expiry_of(request, self._clock)
        with target.connect() as admin:
            found = target.run(
                admin,
                "could not be read",
                "SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s",
                [database],
            )
            if not found:
                raise IntegrationFailed(
                    f"database `{database}` does not exist on `{target.host}:{target.port}` "
                    f"any more: run discovery of integration `{target.integration}` again"
                )
            account = f"'{login}'@'%'"
            target.run(
                admin,
                f"refused to create user `{login}`",
                # `%%`: pymysql fills in `%s` arguments, so a literal % is doubled
                f"CREATE OR REPLACE USER '{login}'@'%%' IDENTIFIED BY PASSWORD %s",
                [native_password_hash(password)],
            )
            try:
                target.run(
                    admin,
                    f"refused the grant of `{request.key}`",
                    f"GRANT {', '.join(privileges)} ON `{database}`.* TO {account}",
                )
            except IntegrationFailed:
                drop_user(target, admin, login)  # nothing half granted
                raise
        return database_details(
            "mysql", target, database=database, login=login, password=password, until=until
        )

    def _database_of(self, request: Node) -> str:
        integration = self._target.integration
        parts = str(request.props.get("resource", "")).split("/")
        if len(parts) < 2 or parts[0] != integration or not parts[1]:
            raise IntegrationFailed(
                f"mariadb integration `{integration}` grants per database: request one of its "
                "databases, e.g. `" + integration + "/<database>`"
            )
        return parts[1].replace("`", "")

    def _privileges(self, request: Node) -> list[str]:
        mapping, wanted = self._target.mapped(request, "grants", "privileges")
        return sorted({str(priv) for p in wanted for priv in mapping[p]})


def drop_user(target: MariaDBTarget, admin: Any, login: str) -> bool:
    """Take user `login` away now: locked, its sessions killed, dropped. False when it was
    already gone."""
    exists = target.run(
        admin, "could not be read", "SELECT 1 FROM mysql.user WHERE User = %s", [login]
    )
    if not exists:
        return False
    account = f"'{login}'@'%'"
    target.run(admin, f"could not lock user `{login}`", f"ALTER USER {account} ACCOUNT LOCK")
    sessions = target.run(
        admin,
        "could not be read",
        "SELECT ID FROM information_schema.PROCESSLIST WHERE USER = %s",
        [login],
    )
    for (session,) in sessions:
        with contextlib.suppress(IntegrationFailed):  # it ended by itself meanwhile
            target.run(admin, "could not end a session", f"KILL CONNECTION {int(session)}")
    target.run(admin, f"could not drop user `{login}`", f"DROP USER IF EXISTS {account}")
    return True


def discover(key: str, config: Mapping[str, Any]) -> Found:
    """Databases (no schemas: a MariaDB database is one), users with the permissions whose
    mapped privileges they hold globally or on some database, and Keyturn's users."""
    target, found = MariaDBTarget(key, config), Found()
    mapping: Mapping[str, list[str]] = config.get("grants") or {}
    prefix = prefix_of(key)
    with target.connect() as admin:
        rows = target.run(admin, "could not be read", "SHOW DATABASES")
        found.databases = {str(r[0]): [] for r in rows if str(r[0]) not in _SYSTEM}
        held: dict[str, set[str]] = {}
        for statement in (
            "SELECT GRANTEE, PRIVILEGE_TYPE FROM information_schema.USER_PRIVILEGES",
            "SELECT GRANTEE, PRIVILEGE_TYPE FROM information_schema.SCHEMA_PRIVILEGES",
        ):
            for grantee, privilege in target.run(admin, "could not be read", statement):
                user = str(grantee).split("'")[1]
                held.setdefault(user, set()).add(str(privilege))
        users = target.run(admin, "could not be read", "SELECT DISTINCT User FROM mysql.user")
    for (user,) in sorted(users):
        name = str(user)
        if name.startswith(prefix):
            found.made.append(name)
        elif name:
            privileges = held.get(name, set())
            permissions = tuple(p for p, needs in mapping.items() if _holds(privileges, needs))
            found.logins.append(Login(name, permissions))
    return found


def _holds(privileges: set[str], needs: list[str]) -> bool:
    wanted = {p for need in needs for p in (_ALL if need == "ALL PRIVILEGES" else {need})}
    return wanted <= privileges


def check_target(key: str, config: Mapping[str, Any]) -> IntegrationCheck:
    target = MariaDBTarget(key, config)
    try:
        with target.connect() as admin:
            (version,) = target.run(admin, "could not be read", "SELECT VERSION()")[0]
            (current,) = target.run(admin, "could not be read", "SELECT CURRENT_USER()")[0]
            user, _, host = str(current).rpartition("@")
            rows = target.run(
                admin,
                "could not be read",
                "SELECT PRIVILEGE_TYPE, IS_GRANTABLE FROM information_schema.USER_PRIVILEGES "
                "WHERE GRANTEE = %s",
                [f"'{user}'@'{host}'"],
            )
    except IntegrationFailed as failed:
        return IntegrationCheck(ok=False, message=str(failed))
    privileges = {str(r[0]) for r in rows}
    creates = "CREATE USER" in privileges and any(str(r[1]) == "YES" for r in rows)
    ends = bool(privileges & {"SUPER", "CONNECTION ADMIN"})
    problems = [
        *([] if creates else ["the admin needs CREATE USER and GRANT OPTION"]),
        *([] if ends else ["the admin may not end sessions: grant it CONNECTION ADMIN"]),
    ]
    return IntegrationCheck(
        ok=not problems,
        message="; ".join(problems) or f"connected to `{target.host}:{target.port}` as the admin",
        server=f"MariaDB {version}",
        can_create_logins=creates,
        can_end_sessions=ends,
    )
