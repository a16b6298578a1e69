"""The `postgresql` integration: each grant is a login of its own.

Grant, in one transaction (so a refused statement leaves nothing behind):

    CREATE ROLE kt_<id> LOGIN PASSWORD '<SCRAM verifier>' VALID UNTIL '<expiry>' IN ROLE <mapped>;
    COMMENT ON ROLE kt_<id> IS 'keyturn:<integration>:<request>';

The password is hashed into a SCRAM verifier by the client, so the server (and its
statement log) never sees it. Revoke: `ALTER ROLE ... NOLOGIN`, end the login's sessions
(`pg_terminate_backend`), `REASSIGN OWNED`/`DROP OWNED`, `DROP ROLE`; a login already
gone is a revoke already done. The comment is how discovery finds logins Keyturn made.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg import sql

from broker.integrations import _postgresql_pool as pool
from broker.integrations._provisioner import (
    LOGIN_PREFIX,
    AdminTarget,
    LoginProvisioner,
    TargetUnreachable,
    database_details,
    expiry_of,
    new_password,
    request_digest,
)
from broker.integrations._webhook import IntegrationFailed
from graph import Node

CONNECT_TIMEOUT = 5
SCRAM_ITERATIONS = 64


def login_for(integration: str, request: str) -> str:
    """The login Keyturn makes for `request`: the same on every try, so a retried grant or
    revoke finds it."""
    return LOGIN_PREFIX + request_digest(integration, request)[:24]


def marker(integration: str, request: str = "") -> str:
    """The role comment naming the integration and request a login was made for."""
    return f"keyturn:{integration}:{request}"


def database_of(resource: str, integration: str, default: str) -> str:
    """The database resource `resource` of `integration` is in: discovery keys a database
    `<integration>/<database>` and a schema `<integration>/<database>/<schema>`."""
    parts = resource.split("/")
    if len(parts) >= 2 and parts[0] == integration and parts[1]:
        return parts[1]
    return default


def _transient(failed: psycopg.Error) -> bool:
    """libpq gives no SQLSTATE for a failed connect: a server that answered says `FATAL`
    (a wrong password, an unknown database), unless it is starting or stopping."""
    text = str(failed)
    return "FATAL:" not in text or "the database system is" in text


class PostgresTarget(AdminTarget):
    kind = "postgresql"

    def __init__(self, integration: str, config: Mapping[str, Any]) -> None:
        super().__init__(integration, config)
        self.database = str(config["database"])
        self.user = str(config["admin_user"])

    @contextmanager
    def connect(self, database: str | None = None) -> Iterator[psycopg.Connection[Any]]:
        """An autocommit admin connection; IntegrationFailed when it cannot be opened.
        Connections to the integration's own database are reused (`_postgresql_pool`)."""
        password = self._admin_password()
        if database not in (None, self.database):
            with self._open(str(database), password) as elsewhere:
                yield elsewhere
            return
        settings = pool.fingerprint(self.host, self.port, self.database, self.user, password)
        connection = pool.take(
            self.integration, settings, lambda: self._open(self.database, password)
        )
        try:
            yield connection
        except BaseException:
            connection.close()
            raise
        pool.give_back(self.integration, settings, connection)

    def _open(self, database: str, password: str) -> psycopg.Connection[Any]:
        try:
            return psycopg.connect(
                host=self.host,
                port=self.port,
                dbname=database,
                user=self.user,
                password=password,
                connect_timeout=CONNECT_TIMEOUT,
                autocommit=True,
                application_name="keyturn",
            )
        except psycopg.Error as failed:
            error = self.failure("could not connect", failed)
            if _transient(failed):
                raise TargetUnreachable(str(error)) from None
            raise error from None

    def drop_login(self, admin: psycopg.Connection[Any], login: str) -> bool:
        return drop_login(self, admin, login)

    def _message_of(self, failed: BaseException) -> str:
        text = str(failed).strip()
        return text.splitlines()[0] if text else type(failed).__name__


class PostgresIntegration(LoginProvisioner[PostgresTarget]):
    """The provisioner of one postgresql integration (see the module's docstring)."""

    def _login_of(self, request: Node) -> str:
        return login_for(self._target.integration, request.key)

    def _grant_once(self, request: Node) -> dict[str, str]:
        target, integration = self._target, self._target.integration
        roles = self._mapped_roles(request)
        login = self._login_of(request)
        password = new_password()
        until = expiry_of(request, self._clock)
        database = database_of(str(request.props.get("resource", "")), integration, target.database)
        with target.connect() as admin:
            _check_roles_exist(target, admin, roles)
            try:
                with admin.transaction():
                    _create_login(admin, login, password, until, roles)
                    comment = marker(integration, request.key)
                    admin.execute(
                        sql.SQL("COMMENT ON ROLE {} IS {}").format(
                            sql.Identifier(login), sql.Literal(comment)
                        )
                    )
            except psycopg.Error as failed:
                raise target.failure(
                    f"refused the grant of `{request.key}`", failed, password
                ) from None
        return database_details(
            "postgresql", target, database=database, login=login, password=password, until=until
        )

    def extend(self, request: Node) -> None:
        """Set the login's VALID UNTIL to the grant's new expiry (no login: nothing)."""
        login = self._login_of(request)
        until = datetime.fromtimestamp(float(request.props["expires_at"]), UTC)
        with self._target.connect() as admin:
            found = admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [login])
            if found.fetchone() is None:
                return
            try:
                admin.execute(
                    sql.SQL("ALTER ROLE {} VALID UNTIL {}").format(
                        sql.Identifier(login), sql.Literal(until.isoformat())
                    )
                )
            except psycopg.Error as failed:
                raise self._target.failure(f"could not extend login `{login}`", failed) from None

    def _mapped_roles(self, request: Node) -> list[str]:
        mapping, wanted = self._target.mapped(request, "roles", "role")
        return sorted({str(mapping[p]) for p in wanted})


def scram_verifier(password: str, iterations: int = SCRAM_ITERATIONS) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores for `password` (RFC 5802, 7677).

    Few iterations on purpose: key stretching protects passwords people can guess; these
    are 24 random bytes (192 bits), which no number of guesses finds, while each iteration
    costs at every grant (the server also hashes an empty password with the verifier's
    count, to refuse one) and at every sign-in of the grantee."""
    salt = secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    b64 = base64.b64encode
    return (
        f"SCRAM-SHA-256${iterations}:{b64(salt).decode()}$"
        f"{b64(stored_key).decode()}:{b64(server_key).decode()}"
    )


def _check_roles_exist(
    target: PostgresTarget, admin: psycopg.Connection[Any], roles: list[str]
) -> None:
    found = admin.execute("SELECT rolname FROM pg_roles WHERE rolname = ANY(%s)", [roles])
    missing = sorted(set(roles) - {str(row[0]) for row in found.fetchall()})
    if missing:
        raise IntegrationFailed(
            f"postgresql integration `{target.integration}` maps a permission to role "
            f"`{missing[0]}`, which does not exist on `{target.host}:{target.port}`: create the "
            "role, or map the permission to one that exists"
        )


def _create_login(
    admin: psycopg.Connection[Any], login: str, password: str, until: datetime, roles: list[str]
) -> None:
    verifier = scram_verifier(password)
    exists = admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [login]).fetchone()
    # a retried grant (after a crash) finds its login and gives it the new password
    verb = "ALTER" if exists else "CREATE"
    admin.execute(
        sql.SQL(verb + " ROLE {} LOGIN PASSWORD {} VALID UNTIL {}").format(
            sql.Identifier(login), sql.Literal(verifier), sql.Literal(until.isoformat())
        )
    )
    for role in roles:
        admin.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(role), sql.Identifier(login)))


def drop_login(target: PostgresTarget, admin: psycopg.Connection[Any], login: str) -> bool:
    """Take login `login` away now: no new sessions, its sessions ended, its objects
    handed to the admin, the role dropped. False when it was already gone."""
    if admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [login]).fetchone() is None:
        return False
    role = sql.Identifier(login)
    try:
        admin.execute(sql.SQL("ALTER ROLE {} NOLOGIN").format(role))
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", [login]
        )
        with admin.transaction():
            admin.execute(sql.SQL("REASSIGN OWNED BY {} TO CURRENT_USER").format(role))
            admin.execute(sql.SQL("DROP OWNED BY {}").format(role))
            admin.execute(sql.SQL("DROP ROLE {}").format(role))
    except psycopg.Error as failed:
        raise target.failure(f"could not drop login `{login}`", failed) from None
    return True
