"""What the provisioners of the database integrations (postgresql, mariadb, redis) share:
the admin target and its errors, each grant's login, password and expiry, the retry of a
grant whose server does not answer, the revoke, and what the grantee is handed."""

from __future__ import annotations

import hashlib
import secrets
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any, ClassVar, Generic, TypeVar
from urllib.parse import quote

from broker._backoff import RetryPolicy
from broker.integrations._settings import admin_password
from broker.integrations._webhook import IntegrationFailed
from broker.services import Clock
from graph import Node

LOGIN_PREFIX = "kt_"
GRANT_RETRY = RetryPolicy(max_attempts=3, base_delay=0.5, max_delay=4.0)
_PASSWORD_BYTES = 24


class TargetUnreachable(IntegrationFailed):
    """No answer from the server (down, restarting, a network fault): worth another try,
    unlike a refusal such as a wrong password."""


def request_digest(integration: str, request: str) -> str:
    """The same for every try of `request`, so a retried grant or revoke finds its login."""
    return hashlib.sha256(f"{integration}\0{request}".encode()).hexdigest()


def prefix_of(integration: str) -> str:
    """The start of every user Keyturn makes for `integration` (mariadb, redis), so
    discovery tells this integration's users from others'."""
    return LOGIN_PREFIX + hashlib.sha256(integration.encode()).hexdigest()[:6] + "_"


def login_for(integration: str, request: str) -> str:
    """The user Keyturn makes for `request`, named after its integration (`prefix_of`)."""
    return prefix_of(integration) + request_digest(integration, request)[:20]


def new_password() -> str:
    return secrets.token_urlsafe(_PASSWORD_BYTES)


def expiry_of(request: Node, clock: Clock) -> datetime:
    """When a grant of `request` made now ends: its duration from the clock's now."""
    minutes = int(request.props.get("duration_minutes") or 0)
    return datetime.fromtimestamp(clock() + minutes * 60, UTC)


def connection_url(scheme: str, target: AdminTarget, login: str, password: str, path: str) -> str:
    return f"{scheme}://{login}:{quote(password, safe='')}@{target.host}:{target.port}/{path}"


def database_details(
    scheme: str, target: AdminTarget, *, database: str, login: str, password: str, until: datetime
) -> dict[str, str]:
    """What the grantee of a login on `database` is handed."""
    return {
        "host": target.host,
        "port": str(target.port),
        "database": database,
        "user": login,
        "password": password,
        "valid_until": until.isoformat(timespec="seconds"),
        "connection_string": connection_url(
            scheme, target, login, password, quote(database, safe="")
        ),
    }


class AdminTarget(ABC):
    """An admin connection to one server, with errors that never carry a password."""

    kind: ClassVar[str]  # the integration type, as errors name it

    def __init__(self, integration: str, config: Mapping[str, Any]) -> None:
        self.integration = integration
        self.config = config
        self.host = str(config["host"])
        self.port = int(config["port"])
        self._redacted: list[str] = []

    @abstractmethod
    def connect(self) -> AbstractContextManager[Any]: ...

    @abstractmethod
    def drop_login(self, admin: Any, login: str) -> bool:
        """Take `login` away now; False when it was already gone."""

    def drop(self, logins: list[str]) -> list[str]:
        """Drop `logins` over one connection: those that were there."""
        with self.connect() as admin:
            return [login for login in logins if self.drop_login(admin, login)]

    def _admin_password(self) -> str:
        password = admin_password(self.integration, self.config)
        self._redacted.append(password)
        return password

    def failure(self, doing: str, failed: BaseException, *extra_secrets: str) -> IntegrationFailed:
        """IntegrationFailed naming the server and its message, any secret blanked out."""
        text = self._message_of(failed)
        for secret in [*self._redacted, *extra_secrets]:
            if secret:
                text = text.replace(secret, "[redacted]")
        where = f"{self.kind} integration `{self.integration}` at `{self.host}:{self.port}`"
        return IntegrationFailed(f"{where} {doing}: {text}")

    def _message_of(self, failed: BaseException) -> str:
        return str(failed) or type(failed).__name__

    def mapped(self, request: Node, field: str, what: str) -> tuple[Mapping[str, Any], list[str]]:
        """The integration's mapping `field` and the permissions `request` asks for, each of
        which it maps (to `what`, as the error says)."""
        mapping: Mapping[str, Any] = self.config.get(field) or {}
        wanted = [str(p) for p in request.props.get("permissions") or []]
        missing = [p for p in wanted if p not in mapping]
        if missing:
            raise IntegrationFailed(
                f"{self.kind} integration `{self.integration}` maps no {what} to "
                f"permission `{missing[0]}`: add it to the integration's `{field}`"
            )
        return mapping, wanted


TargetT = TypeVar("TargetT", bound=AdminTarget)


class LoginProvisioner(ABC, Generic[TargetT]):
    """The provisioner of one database integration: each grant is a login of its own."""

    def __init__(
        self,
        target: TargetT,
        *,
        clock: Clock,
        retry: RetryPolicy = GRANT_RETRY,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._target = target
        self._clock = clock
        self._retry = retry
        self._sleep = sleep

    def grant(self, request: Node) -> dict[str, str]:
        """Make the login; a server that does not answer is tried again with backoff
        within this call (a revoke is retried by the expiry scheduler instead)."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._grant_once(request)
            except TargetUnreachable:
                if attempt >= self._retry.max_attempts:
                    raise
            self._sleep(self._retry.delay(attempt))

    def revoke(self, request: Node) -> None:
        self._target.drop([self._login_of(request)])

    @abstractmethod
    def _grant_once(self, request: Node) -> dict[str, str]: ...

    def _login_of(self, request: Node) -> str:
        return login_for(self._target.integration, request.key)
