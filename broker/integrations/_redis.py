"""The `redis` integration: each grant is an ACL user of its own, reaching the requested
key pattern (or all the integration's patterns) with the mapped command rules.

    ACL SETUSER kt_<integration>_<id> reset on #<sha256> ~<pattern> resetchannels <rules>

The password is given as its SHA-256 (`#...`), so the server, MONITOR and the slow log never
see it. Redis has no account expiry: the grant ends when the scheduler revokes it.
Revoke: `ACL DELUSER` (which also disconnects the user's clients) after `CLIENT KILL USER`;
a user already gone is a revoke already done. Key patterns are the resources: Redis has no
per-database permission, so logical databases are not resources.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from broker._backoff import RetryPolicy
from broker.integrations._settings import admin_password
from broker.integrations._target_data import Found, IntegrationCheck, Login
from broker.integrations._webhook import IntegrationFailed
from broker.services import Clock
from graph import Node

CONNECT_TIMEOUT = 5


def login_for(integration: str, request: str) -> str:
    digest = hashlib.sha256(f"{integration}\0{request}".encode()).hexdigest()
    return prefix_of(integration) + digest[:20]


def prefix_of(integration: str) -> str:
    return "kt_" + hashlib.sha256(integration.encode()).hexdigest()[:6] + "_"


class TargetUnreachable(IntegrationFailed):
    """No answer from the server: worth another try, unlike a refusal."""


class RedisTarget:
    def __init__(self, integration: str, config: Mapping[str, Any]) -> None:
        self.integration = integration
        self.config = config
        self.host = str(config["host"])
        self.port = int(config["port"])
        self._redacted: list[str] = []

    @contextmanager
    def connect(self) -> Iterator[redis.Redis]:
        """An admin client that has signed in; IntegrationFailed when it cannot."""
        password = admin_password(self.integration, self.config)
        self._redacted.append(password)
        client = redis.Redis(
            host=self.host,
            port=self.port,
            username=str(self.config["admin_user"]),
            password=password,
            socket_connect_timeout=CONNECT_TIMEOUT,
            socket_timeout=CONNECT_TIMEOUT,
            # no retries inside the client: a grant retries with its own backoff, a revoke
            # through the scheduler, and a refusal is not worth another try
            retry=Retry(NoBackoff(), 0),
        )
        try:
            try:
                client.ping()
            except redis.AuthenticationError as refused:
                raise self.failure("refused the admin", refused) from None
            except redis.RedisError as failed:
                raise TargetUnreachable(str(self.failure("could not connect", failed))) from None
            yield client
        finally:
            client.close()

    def failure(self, doing: str, failed: BaseException, *extra: str) -> IntegrationFailed:
        text = str(failed) or type(failed).__name__
        for secret in [*self._redacted, *extra]:
            if secret:
                text = text.replace(secret, "[redacted]")
        where = f"redis integration `{self.integration}` at `{self.host}:{self.port}`"
        return IntegrationFailed(f"{where} {doing}: {text}")

    def run(self, client: redis.Redis, doing: str, *command: str) -> Any:
        try:
            return client.execute_command(*command)  # type: ignore[no-untyped-call]
        except redis.RedisError as failed:
            raise self.failure(doing, failed) from None


class RedisIntegration:
    def __init__(
        self,
        target: RedisTarget,
        *,
        clock: Clock,
        retry: RetryPolicy,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._target = target
        self._clock = clock
        self._retry = retry
        self._sleep = sleep

    def grant(self, request: Node) -> dict[str, str]:
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
        with self._target.connect() as admin:
            drop_user(self._target, admin, login_for(self._target.integration, request.key))

    def _grant_once(self, request: Node) -> dict[str, str]:
        target = self._target
        patterns = self._patterns(request)
        rules = self._rules(request)
        login = login_for(target.integration, request.key)
        password = secrets.token_urlsafe(24)
        digest = hashlib.sha256(password.encode()).hexdigest()
        minutes = int(request.props.get("duration_minutes") or 0)
        until = datetime.fromtimestamp(self._clock() + minutes * 60, UTC)
        with target.connect() as admin:
            # one command: the user is made whole or not at all
            target.run(
                admin,
                f"refused the grant of `{request.key}`",
                *("ACL", "SETUSER", login, "reset", "on", f"#{digest}"),
                *(f"~{p}" for p in patterns),
                "resetchannels",
                *rules,
            )
        return {
            "host": target.host,
            "port": str(target.port),
            "user": login,
            "password": password,
            "key_patterns": " ".join(patterns),
            "valid_until": until.isoformat(timespec="seconds"),
            "connection_string": (
                f"redis://{login}:{quote(password, safe='')}@{target.host}:{target.port}/0"
            ),
        }

    def _patterns(self, request: Node) -> list[str]:
        integration, config = self._target.integration, self._target.config
        known = [str(p) for p in config.get("key_patterns") or []]
        resource = str(request.props.get("resource", ""))
        if resource == integration:
            return known
        pattern = resource.removeprefix(f"{integration}/")
        if pattern not in known:
            raise IntegrationFailed(
                f"`{resource}` is not a key pattern of redis integration `{integration}` any "
                "more: request one of its `key_patterns`"
            )
        return [pattern]

    def _rules(self, request: Node) -> list[str]:
        mapping = self._target.config.get("grants") or {}
        wanted = [str(p) for p in request.props.get("permissions") or []]
        missing = [p for p in wanted if p not in mapping]
        if missing:
            raise IntegrationFailed(
                f"redis integration `{self._target.integration}` maps no ACL rules to "
                f"permission `{missing[0]}`: add it to the integration's `grants`"
            )
        rules = ["-@all"]
        for permission in wanted:
            rules += [str(rule) for rule in mapping[permission] if str(rule) not in rules]
        return rules


def drop_user(target: RedisTarget, admin: redis.Redis, login: str) -> bool:
    """Take user `login` away now: its clients disconnected, the user deleted. False when
    it was already gone."""
    users = [_text(u) for u in target.run(admin, "could not be read", "ACL", "USERS")]
    if login not in users:
        return False
    target.run(admin, f"could not end the sessions of `{login}`", "CLIENT", "KILL", "USER", login)
    target.run(admin, f"could not delete user `{login}`", "ACL", "DELUSER", login)
    return True


def drop_users(key: str, config: Mapping[str, Any], logins: list[str]) -> list[str]:
    target = RedisTarget(key, config)
    with target.connect() as admin:
        return [login for login in logins if drop_user(target, admin, login)]


def discover(key: str, config: Mapping[str, Any]) -> Found:
    """The integration's key patterns, users with the permissions whose rules their command
    rules include (all for `+@all`), and Keyturn's users."""
    target = RedisTarget(key, config)
    found = Found(databases={str(p): [] for p in config.get("key_patterns") or []})
    found.resource_type = "key-pattern"
    mapping: Mapping[str, list[str]] = config.get("grants") or {}
    with target.connect() as admin:
        for raw in target.run(admin, "could not be read", "ACL", "USERS"):
            name = _text(raw)
            if name.startswith(prefix_of(key)):
                found.made.append(name)
                continue
            user = target.run(admin, "could not be read", "ACL", "GETUSER", name) or {}
            commands = _text(user.get(b"commands", b"")).split()
            flags = {_text(f) for f in user.get(b"flags", [])}
            held = tuple(
                p for p, rules in mapping.items() if "on" in flags and _holds(commands, rules)
            )
            found.logins.append(Login(name, held))
    return found


def _holds(commands: list[str], rules: list[str]) -> bool:
    allowed = [r for r in rules if r.startswith("+")]
    return "+@all" in commands or all(rule in commands for rule in allowed)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def check_target(key: str, config: Mapping[str, Any]) -> IntegrationCheck:
    target = RedisTarget(key, config)
    try:
        with target.connect() as admin:
            version = str(admin.info("server").get("redis_version", ""))
            me = _text(target.run(admin, "could not be read", "ACL", "WHOAMI"))
            creates = _allowed(target, admin, me, "ACL", "SETUSER", "kt_probe")
            ends = _allowed(target, admin, me, "CLIENT", "KILL", "USER", "kt_probe")
    except IntegrationFailed as failed:
        return IntegrationCheck(ok=False, message=str(failed))
    problems = [
        *([] if creates else ["the admin may not run ACL SETUSER: give it +acl"]),
        *([] if ends else ["the admin may not end sessions: give it +client"]),
    ]
    return IntegrationCheck(
        ok=not problems,
        message="; ".join(problems) or f"connected to `{target.host}:{target.port}` as the admin",
        server=f"Redis {version}",
        can_create_logins=creates,
        can_end_sessions=ends,
    )


def _allowed(target: RedisTarget, admin: redis.Redis, me: str, *command: str) -> bool:
    answer = target.run(admin, "could not be read", "ACL", "DRYRUN", me, *command)
    return _text(answer) == "OK"
