"""One real PostgreSQL, MariaDB and Redis for the integration tests of a session, each
started when a test first asks for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from broker.integrations._postgresql_pool import close_idle
from tests.support.mariadb_server import MariaDB, running_mariadb
from tests.support.postgres_server import Postgres, running_postgres
from tests.support.redis_server import Redis, running_redis


@pytest.fixture(scope="session")
def pg() -> Iterator[Postgres]:
    with running_postgres() as server:
        with server.connect() as admin:
            admin.execute("CREATE DATABASE shop")
            admin.execute("CREATE ROLE linus LOGIN PASSWORD 'linus-own-password'")
            admin.execute("GRANT pg_read_all_data TO linus")
        with server.connect("shop") as shop:
            shop.execute("CREATE SCHEMA sales")
            shop.execute("CREATE TABLE sales.orders (id int PRIMARY KEY, total numeric)")
            shop.execute("INSERT INTO sales.orders VALUES (1, 9.5), (2, 12)")
        yield server


@pytest.fixture(autouse=True)
def no_idle_admin_connections() -> Iterator[None]:
    """Each test's admin connections end with it, so none outlives the server."""
    yield
    close_idle()


@pytest.fixture(scope="session")
def mariadb() -> Iterator[MariaDB]:
    """A real MariaDB holding database `shop` (table `orders`) and a user `linus` who may
    read it."""
    with running_mariadb() as server:
        admin = server.connect()
        with admin.cursor() as cursor:
            cursor.execute("CREATE DATABASE shop")
            cursor.execute("CREATE TABLE shop.orders (id int PRIMARY KEY, total decimal(9,2))")
            cursor.execute("INSERT INTO shop.orders VALUES (1, 9.5), (2, 12)")
            cursor.execute("CREATE USER 'linus'@'%' IDENTIFIED BY 'linus-own-password'")
            cursor.execute("GRANT SELECT, SHOW VIEW ON shop.* TO 'linus'@'%'")
        admin.close()
        yield server


@pytest.fixture(scope="session")
def redis_server() -> Iterator[Redis]:
    """A real Redis with keys `orders:1`, `orders:2`, `cache:1` and a user `linus` who may
    read `orders:*`."""
    with running_redis() as server:
        admin = server.connect()
        admin.set("orders:1", "9.5")
        admin.set("orders:2", "12")
        admin.set("cache:1", "x")
        admin.acl_setuser(
            "linus",
            enabled=True,
            passwords=["+linus-own-password"],
            keys=["orders:*"],
            commands=["-@all", "+@read"],
        )
        admin.close()
        yield server
