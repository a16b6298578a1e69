"""The integration types that reach a database server, each as one set of functions, so
the provisioner, discovery and checks pick a type's in one place."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from broker._backoff import RetryPolicy
from broker.integrations import _mariadb as mariadb
from broker.integrations import _postgresql as pg
from broker.integrations import _redis as redis
from broker.integrations._mariadb_config import MARIADB
from broker.integrations._postgresql_check import check_postgresql_target
from broker.integrations._postgresql_config import POSTGRESQL
from broker.integrations._postgresql_discovery import discover as discover_postgresql
from broker.integrations._provisioner import AdminTarget, LoginProvisioner, TargetT, login_for
from broker.integrations._redis_config import REDIS
from broker.integrations._target_data import Found, IntegrationCheck
from broker.services import Clock, Provisioner
from graph import Node

Config = Mapping[str, Any]


@dataclass(frozen=True)
class TargetKind:
    provisioner: Callable[[str, Config, Clock, RetryPolicy], Provisioner]
    discover: Callable[[str, Config], Found]
    drop_logins: Callable[[str, Config, list[str]], list[str]]  # those that were there
    check_target: Callable[[str, Config], IntegrationCheck]
    login_for: Callable[[str, str], str]  # (integration, request) -> its login


def _provisioner(
    integration: type[LoginProvisioner[TargetT]], target: type[TargetT]
) -> Callable[[str, Config, Clock, RetryPolicy], Provisioner]:
    def make(key: str, config: Config, clock: Clock, retry: RetryPolicy) -> Provisioner:
        return integration(target(key, config), clock=clock, retry=retry)

    return make


def _drop(target: type[AdminTarget]) -> Callable[[str, Config, list[str]], list[str]]:
    return lambda key, config, logins: target(key, config).drop(logins)


KINDS: Mapping[str, TargetKind] = {
    POSTGRESQL: TargetKind(
        provisioner=_provisioner(pg.PostgresIntegration, pg.PostgresTarget),
        discover=lambda key, config: discover_postgresql(pg.PostgresTarget(key, config)),
        drop_logins=_drop(pg.PostgresTarget),
        check_target=check_postgresql_target,
        login_for=pg.login_for,
    ),
    MARIADB: TargetKind(
        provisioner=_provisioner(mariadb.MariaDBIntegration, mariadb.MariaDBTarget),
        discover=mariadb.discover,
        drop_logins=_drop(mariadb.MariaDBTarget),
        check_target=mariadb.check_target,
        login_for=login_for,
    ),
    REDIS: TargetKind(
        provisioner=_provisioner(redis.RedisIntegration, redis.RedisTarget),
        discover=redis.discover,
        drop_logins=_drop(redis.RedisTarget),
        check_target=redis.check_target,
        login_for=login_for,
    ),
}


def kind_of(integration: Node) -> TargetKind | None:
    """The kind of a database integration saved with its settings; None for any other
    (a manual or webhook one, or one saved without settings, as the demo's)."""
    if not integration.props.get("config"):
        return None
    return KINDS.get(str(integration.props.get("type", "")))
