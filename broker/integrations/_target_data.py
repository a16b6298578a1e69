"""What every driven integration type (postgresql, mariadb, ...) reports, in one shape:
what discovery found on the target, and what a check of the target found."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Login:
    """A login made outside Keyturn, with the Keyturn permissions it holds."""

    name: str
    permissions: tuple[str, ...]


@dataclass
class Found:
    databases: dict[str, list[str]] = field(default_factory=dict)  # database -> schemas
    logins: list[Login] = field(default_factory=list)  # made outside Keyturn
    made: list[str] = field(default_factory=list)  # logins Keyturn made for this integration
    resource_type: str = "database"  # of the top-level resources (redis: key-pattern)


@dataclass(frozen=True)
class IntegrationCheck:
    ok: bool
    message: str
    server: str = ""
    can_create_logins: bool = False
    can_end_sessions: bool = False
    missing_roles: list[str] = field(default_factory=list)
