"""The mariadb integration against a real server: a user per grant that the grantee really
uses, gone after revoke; discovery, drift and bad input."""

from __future__ import annotations

import contextlib
import json
import secrets
from typing import Any

import pymysql
import pytest

from broker import InvalidInput, Services, audit, request_access, save_access_flow
from broker.demo import DEMO_ADMIN, DEMO_GRANTEE
from broker.grants._write import GrantFailed
from broker.grants.access_details import access_details
from broker.grants.revoke_grant import revoke_grant
from broker.integrations._mariadb import login_for
from broker.integrations.save_integration import save_integration
from broker.integrations.sync_integration import sync_integration
from graph import Node, NodeRef
from policies.flows import AccessFlow
from tests.support.clock import ManualClock
from tests.support.mariadb_server import MariaDB


def _config(db: MariaDB, **changed: Any) -> dict[str, Any]:
    return {
        "host": db.host,
        "port": db.port,
        "admin_user": db.admin,
        "admin_password": db.password,
        "grants": {"read": ["SELECT"], "write": ["SELECT", "INSERT"]},
        **changed,
    }


def _add(services: Services, db: MariaDB, **changed: Any) -> str:
    key = f"my-{secrets.token_hex(4)}"
    save_integration(
        services,
        actor=DEMO_ADMIN,
        key=key,
        name="Lab MariaDB",
        type="mariadb",
        config=_config(db, **changed),
    )
    sync_integration(services, actor=DEMO_ADMIN, key=key)
    save_access_flow(
        services,
        actor=DEMO_ADMIN,
        flow=AccessFlow(
            key=f"{key}-readers",
            name="Lab readers",
            requestor_groups=("engineering",),
            integrations=(key,),
            permissions=("read", "write"),
            max_duration_minutes=60,
        ),
    )
    return key


def _ask(services: Services, key: str, database: str = "shop") -> Node:
    return request_access(
        services,
        requester=DEMO_GRANTEE,
        resource=f"{key}/{database}",
        permissions=["read"],
        duration_minutes=30,
    )


def _login(details: dict[str, str]) -> Any:
    return pymysql.connect(
        host=details["host"],
        port=int(details["port"]),
        user=details["user"],
        password=details["password"],
        database=details["database"],
        connect_timeout=5,
    )


def _users(db: MariaDB) -> list[str]:
    admin = db.connect()
    with admin.cursor() as cursor:
        cursor.execute("SELECT User FROM mysql.user WHERE User LIKE 'kt\\_%%'")
        found = sorted(str(r[0]) for r in cursor.fetchall())
    admin.close()
    return found


def test_the_grantee_reads_with_the_issued_user_and_revoke_ends_its_session_and_user(
    wired: Services, mariadb: MariaDB
) -> None:
    key = _add(wired, mariadb)
    granted = _ask(wired, key)
    assert granted.props["state"] == "GRANTED"
    details = access_details(wired, viewer=DEMO_GRANTEE, request=granted.key)
    assert details["user"] == login_for(key, granted.key)
    session = _login(details)
    with session.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM orders")
        assert cursor.fetchone() == (2,)
        with pytest.raises(pymysql.err.OperationalError, match="INSERT command denied"):
            cursor.execute("INSERT INTO orders VALUES (3, 1)")  # read, not write
    logged = json.dumps([e.data for e in audit.read_events(wired.store)])
    assert details["password"] not in logged and mariadb.password not in logged
    revoke_grant(wired, actor=DEMO_GRANTEE, request=granted.key)
    with pytest.raises(pymysql.err.OperationalError), session.cursor() as cursor:
        cursor.execute("SELECT 1")  # its open session was killed
    with contextlib.suppress(pymysql.err.Error):
        session.close()
    with pytest.raises(pymysql.err.OperationalError, match="Access denied"):
        _login(details)
    assert details["user"] not in _users(mariadb)
    wired.provisioner.revoke(granted)  # a revoke of a user already gone is a revoke done


def test_databases_become_resources_a_user_is_standing_access_and_drift_is_dropped(
    wired: Services, mariadb: MariaDB, clock: ManualClock
) -> None:
    key = _add(wired, mariadb)
    assert wired.store.get_node("Resource", f"{key}/shop") is not None
    assert wired.store.get_node("Resource", f"{key}/mysql") is None  # system databases
    (edge,) = wired.store.edges(
        "HAS_ACCESS", src=NodeRef("User", DEMO_GRANTEE), dst=NodeRef("Integration", key)
    )
    assert edge.props["standing"] is True and edge.props["permissions"] == ["read"]
    granted = _ask(wired, key)
    clock.advance(31 * 60)  # expired, and the expiry job has not run
    report = sync_integration(wired, actor=DEMO_ADMIN, key=key)
    assert report.drift_removed == [login_for(key, granted.key)]
    assert login_for(key, granted.key) not in _users(mariadb)


def test_a_database_dropped_before_the_grant_fails_it_and_makes_no_user(
    wired: Services, mariadb: MariaDB
) -> None:
    admin = mariadb.connect()
    with admin.cursor() as cursor:
        cursor.execute("CREATE DATABASE doomed")
    key = _add(wired, mariadb)
    with admin.cursor() as cursor:
        cursor.execute("DROP DATABASE doomed")
    admin.close()
    before = _users(mariadb)
    with pytest.raises(GrantFailed, match="database `doomed` does not exist"):
        _ask(wired, key, "doomed")
    assert _users(mariadb) == before


def test_a_wrong_admin_password_fails_the_grant_with_no_secret_in_the_reason(
    wired: Services, mariadb: MariaDB
) -> None:
    key = _add(wired, mariadb)
    save_integration(
        wired,
        actor=DEMO_ADMIN,
        key=key,
        name="Lab",
        type="mariadb",
        config=_config(mariadb, admin_password="not-the-password"),
    )
    with pytest.raises(GrantFailed, match="Access denied for user"):
        _ask(wired, key)
    (failed,) = wired.store.find_nodes("AccessRequest", equals={"state": "FAILED"})
    assert "not-the-password" not in str(failed.props["reason"])


def test_a_privilege_keyturn_does_not_grant_is_refused_when_saved(
    services: Services, mariadb: MariaDB
) -> None:
    for grants in ({"read": ["SUPER"]}, {"read": []}, {"sudo": ["SELECT"]}):
        with pytest.raises(InvalidInput):
            save_integration(
                services,
                actor=DEMO_ADMIN,
                key="my-x",
                name="X",
                type="mariadb",
                config=_config(mariadb, grants=grants),
            )
    assert services.store.get_node("Integration", "my-x") is None
