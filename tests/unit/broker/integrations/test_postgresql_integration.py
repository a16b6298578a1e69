"""The postgresql integration against a real server: each grant is a login of its own that
the grantee really uses, and that is gone after revoke and expiry."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest

from broker import (
    Forbidden,
    InvalidInput,
    Services,
    audit,
    expire_due_grants,
    extend_grant,
    request_access,
    save_access_flow,
)
from broker._backoff import RetryPolicy
from broker.demo import DEMO_ADMIN, DEMO_GRANTEE
from broker.grants._write import GrantFailed
from broker.grants.access_details import access_details
from broker.grants.revoke_grant import revoke_grant
from broker.integrations import IntegrationFailed, read_config
from broker.integrations._postgresql import (
    PostgresIntegration,
    PostgresTarget,
    TargetUnreachable,
    login_for,
)
from broker.integrations.save_integration import save_integration
from broker.integrations.sync_integration import sync_integration
from graph import Node, NodeRef
from policies.flows import AccessFlow
from tests.support.clock import ManualClock
from tests.support.postgres_server import Postgres


def _config(pg: Postgres, **changed: Any) -> dict[str, Any]:
    return {
        "host": pg.host,
        "port": pg.port,
        "admin_user": pg.admin,
        "admin_password": pg.password,
        "roles": {"read": "pg_read_all_data"},
        **changed,
    }


def _add(services: Services, pg: Postgres, **changed: Any) -> str:
    """A fresh integration on the shared server (its own key, so its logins are its own),
    discovered, with an auto-approved flow for engineering on it."""
    key = f"pg-{secrets.token_hex(4)}"
    save_integration(
        services,
        actor=DEMO_ADMIN,
        key=key,
        name="Lab PostgreSQL",
        type="postgresql",
        config=_config(pg, **changed),
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
            max_extensions=1,
        ),
    )
    return key


def _ask(services: Services, key: str, permissions: tuple[str, ...] = ("read",)) -> Node:
    return request_access(
        services,
        requester=DEMO_GRANTEE,
        resource=f"{key}/shop",
        permissions=list(permissions),
        duration_minutes=30,
    )


def _login(details: dict[str, str]) -> psycopg.Connection[Any]:
    return psycopg.connect(details["connection_string"], connect_timeout=5, autocommit=True)


def _roles(pg: Postgres, prefix: str = "kt_") -> list[str]:
    with pg.connect() as admin:
        rows = admin.execute("SELECT rolname FROM pg_roles WHERE rolname LIKE %s", [prefix + "%"])
        return sorted(str(r[0]) for r in rows.fetchall())


def test_the_grantee_reads_with_the_issued_login_and_revoke_ends_its_session_and_login(
    wired: Services, pg: Postgres
) -> None:
    key = _add(wired, pg)
    granted = _ask(wired, key)
    assert granted.props["state"] == "GRANTED"
    details = access_details(wired, viewer=DEMO_GRANTEE, request=granted.key)
    assert details["user"] == login_for(key, granted.key) and details["database"] == "shop"
    session = _login(details)
    assert session.execute("SELECT count(*) FROM sales.orders").fetchone() == (2,)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        session.execute("INSERT INTO sales.orders VALUES (3, 1)")  # read was granted, not write
    revoke_grant(wired, actor=DEMO_GRANTEE, request=granted.key)
    with pytest.raises(psycopg.OperationalError):
        session.execute("SELECT 1")  # its open session was ended
    session.close()
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        _login(details)
    assert details["user"] not in _roles(pg)
    wired.provisioner.revoke(granted)  # a revoke of a login already gone is a revoke done


def test_the_login_is_valid_until_the_grants_expiry_and_dropped_at_expiry(
    wired: Services, pg: Postgres, clock: ManualClock
) -> None:
    key = _add(wired, pg)
    granted = _ask(wired, key)
    with pg.connect() as admin:
        row = admin.execute(
            "SELECT rolvaliduntil FROM pg_roles WHERE rolname = %s", [login_for(key, granted.key)]
        ).fetchone()
    assert row is not None
    assert abs(row[0].timestamp() - float(granted.props["expires_at"])) < 5
    details = access_details(wired, viewer=DEMO_GRANTEE, request=granted.key)
    clock.advance(31 * 60)
    expire_due_grants(wired)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        _login(details)


def test_extending_the_grant_moves_the_logins_valid_until(wired: Services, pg: Postgres) -> None:
    key = _add(wired, pg)
    granted = _ask(wired, key)
    extended = extend_grant(wired, actor=DEMO_GRANTEE, request=granted.key, minutes=20)
    later = float(extended.props["expires_at"])
    assert later > float(granted.props["expires_at"])
    assert _valid_until(pg, login_for(key, granted.key)) == pytest.approx(later, abs=0.001)


def _valid_until(pg: Postgres, login: str) -> float:
    with pg.connect() as admin:
        row = admin.execute("SELECT rolvaliduntil FROM pg_roles WHERE rolname = %s", [login])
        found = row.fetchone()
    assert found is not None
    return float(found[0].timestamp())


def test_access_details_are_sealed_shown_to_the_grantee_only_and_never_logged(
    wired: Services, pg: Postgres
) -> None:
    key = _add(wired, pg)
    granted = _ask(wired, key)
    details = access_details(wired, viewer=DEMO_GRANTEE, request=granted.key)
    assert set(details) >= {"host", "port", "database", "user", "password", "connection_string"}
    stored = wired.store.get_node("AccessRequest", granted.key)
    assert stored is not None and details["password"] not in str(stored.props)
    logged = json.dumps([e.data for e in audit.read_events(wired.store)])
    assert details["password"] not in logged and pg.password not in logged
    integration = wired.store.get_node("Integration", key)
    assert integration is not None and pg.password not in str(integration.props)
    with pytest.raises(Forbidden, match="only the person holding"):
        access_details(wired, viewer=DEMO_ADMIN, request=granted.key)


def test_a_permission_mapped_to_a_missing_role_fails_the_grant_and_makes_no_login(
    wired: Services, pg: Postgres
) -> None:
    key = _add(wired, pg, roles={"read": "pg_read_all_data", "write": "no_such_role"})
    before = _roles(pg)
    with pytest.raises(GrantFailed, match="role `no_such_role`, which does not exist"):
        _ask(wired, key, ("read", "write"))
    assert _roles(pg) == before
    (failed,) = wired.store.find_nodes("AccessRequest", equals={"state": "FAILED"})
    assert "no_such_role" in str(failed.props["reason"])


def test_a_target_that_refuses_the_grant_fails_it_with_its_reason_and_leaves_no_login(
    wired: Services, pg: Postgres
) -> None:
    """An admin login that may create roles but not hand out the mapped one (here a
    superuser role): the server refuses the membership, the request is FAILED with the
    server's reason, and the login made in the same transaction is gone with it."""
    with pg.connect() as admin:
        admin.execute("DROP ROLE IF EXISTS lab_admin")
        admin.execute("CREATE ROLE lab_admin LOGIN CREATEROLE PASSWORD 'lab-admin-password'")
        admin.execute("DROP ROLE IF EXISTS lab_super")
        admin.execute("CREATE ROLE lab_super SUPERUSER NOLOGIN")
    key = _add(
        wired,
        pg,
        admin_user="lab_admin",
        admin_password="lab-admin-password",
        roles={"read": "lab_super"},
    )
    before = _roles(pg)
    with pytest.raises(GrantFailed, match=r"refused the grant .*: must be superuser"):
        _ask(wired, key)
    assert _roles(pg) == before
    (failed,) = wired.store.find_nodes("AccessRequest", equals={"state": "FAILED"})
    assert "must be superuser" in str(failed.props["reason"])
    assert "lab-admin-password" not in str(failed.props["reason"])
    assert wired.store.edges("HAS_ACCESS", src=NodeRef("User", DEMO_GRANTEE)) == []


@pytest.mark.parametrize(
    ("changed", "message"),
    [
        ({"admin_password": "not-the-password"}, "password authentication failed"),
        ({"port": 1}, "could not connect"),
    ],
)
def test_a_target_that_refuses_the_admin_fails_the_grant_with_its_reason_and_no_secret(
    wired: Services, pg: Postgres, changed: dict[str, Any], message: str
) -> None:
    key = _add(wired, pg)
    save_integration(
        wired,
        actor=DEMO_ADMIN,
        key=key,
        name="Lab",
        type="postgresql",
        config=_config(pg, **changed),
    )
    before = _roles(pg)
    with pytest.raises(GrantFailed, match=message):
        _ask(wired, key)
    assert _roles(pg) == before
    (failed,) = wired.store.find_nodes("AccessRequest", equals={"state": "FAILED"})
    assert "not-the-password" not in str(failed.props["reason"])
    logged = json.dumps([e.data for e in audit.read_events(wired.store)])
    assert "not-the-password" not in logged


def test_saving_a_bad_config_is_refused_and_changes_nothing(
    services: Services, pg: Postgres
) -> None:
    save_integration(
        services, actor=DEMO_ADMIN, key="pg-x", name="X", type="postgresql", config=_config(pg)
    )
    before = services.store.get_node("Integration", "pg-x")
    for bad in (
        _config(pg, roles={"read": "bad role; DROP"}),
        _config(pg, roles={"sudo": "x"}),
        _config(pg, port="eighty"),
        _config(pg, admin_password_env="PG_PASS"),  # two password sources
    ):
        with pytest.raises(InvalidInput):
            save_integration(
                services, actor=DEMO_ADMIN, key="pg-x", name="X", type="postgresql", config=bad
            )
    assert services.store.get_node("Integration", "pg-x") == before


def test_saving_again_without_the_admin_password_keeps_the_stored_one(
    services: Services, pg: Postgres
) -> None:
    save_integration(
        services, actor=DEMO_ADMIN, key="pg-x", name="X", type="postgresql", config=_config(pg)
    )
    changed = {k: v for k, v in _config(pg).items() if k != "admin_password"}
    save_integration(
        services, actor=DEMO_ADMIN, key="pg-x", name="X2", type="postgresql", config=changed
    )
    stored = services.store.get_node("Integration", "pg-x")
    assert stored is not None and read_config(stored)["admin_password"] == pg.password


def test_the_login_valid_until_is_an_absolute_utc_time(wired: Services, pg: Postgres) -> None:
    key = _add(wired, pg)
    granted = _ask(wired, key)
    shown = access_details(wired, viewer=DEMO_GRANTEE, request=granted.key)["valid_until"]
    assert datetime.fromisoformat(shown).tzinfo == UTC


def test_a_server_that_does_not_answer_is_tried_again_but_a_wrong_password_is_not(
    services: Services, pg: Postgres
) -> None:
    slept: list[float] = []
    retry = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.02)
    request = Node("AccessRequest", "req_retry", {"permissions": ["read"], "resource": "x"})
    config = {**_config(pg, port=1), "database": "postgres"}
    down = PostgresIntegration(
        PostgresTarget("pg-down", config), clock=services.clock, retry=retry, sleep=slept.append
    )
    with pytest.raises(TargetUnreachable, match="could not connect"):
        down.grant(request)
    assert len(slept) == 2  # three tries
    slept.clear()
    config = {**_config(pg, admin_password="not-the-password"), "database": "postgres"}
    refusing = PostgresIntegration(
        PostgresTarget("pg-no", config), clock=services.clock, retry=retry, sleep=slept.append
    )
    with pytest.raises(IntegrationFailed, match="password authentication failed"):
        refusing.grant(request)
    assert slept == []
