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
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from broker.integrations._provisioner import (
    AdminTarget,
    LoginProvisioner,
    TargetUnreachable,
    connection_url,
    expiry_of,
    new_password,
    prefix_of,
)

# re-exported: how a redis user is named
from broker.integrations._provisioner import login_for as login_for
from broker.integrations._target_data import Found, IntegrationCheck, Login
from broker.integrations._webhook import IntegrationFailed
from graph import Node

CONNECT_TIMEOUT = 5


class RedisTarget(AdminTarget):
    kind = "redis"

    @contextmanager
    def connect(self) -> Iterator[redis.Redis]:
        """An admin client that has signed in; IntegrationFailed when it cannot."""
        client = redis.Redis(
            host=self.host,
            port=self.port,
            username=str(self.config["admin_user"]),
            password=self._admin_password(),
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

    def drop_login(self, admin: redis.Redis, login: str) -> bool:
        return drop_user(self, admin, login)

    def run(self, client: redis.Redis, doing: str, *command: str) -> Any:
        try:
            return client.execute_command(*command)  # type: ignore[no-untyped-call]
        except redis.RedisError as failed:
            raise self.failure(doing, failed) from None


class RedisIntegration(LoginProvisioner[RedisTarget]):
    def _grant_once(self, request: Node) -> dict[str, str]:
        target = self._target
        patterns = self._patterns(request)
        rules = self._rules(request)
        login = self._login_of(request)
        password = new_password()
        digest = hashlib.sha256(password.encode()).hexdigest()
        until = expiry_of(request, self._clock)
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
            "connection_string": connection_url("redis", target, login, password, "0"),
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
        mapping, wanted = self._target.mapped(request, "grants", "ACL rules")
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
