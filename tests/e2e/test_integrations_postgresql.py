"""A postgresql integration managed over GraphQL in a live Keyturn, against a real server:
save, test, discover, list (no secret comes back), a grantee's real login, and a delete
that is refused while the grant lives and, forced, revokes it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from broker import save_access_flow
from broker.demo import DEMO_ADMIN
from broker.grants import secrets as sealing
from policies.flows import AccessFlow
from tests.e2e.conftest import LiveKeyturn
from tests.support.postgres_server import Postgres, running_postgres

SAVE = """
mutation($i: IntegrationInput!) { saveIntegration(integration: $i) { key type settings } }"""
TEST = """
mutation($k: String!) { testIntegration(key: $k) {
  ok message server canCreateLogins canEndSessions missingRoles } }"""
SYNC = """
mutation($k: String!) { syncIntegration(key: $k) {
  databases schemas standing unmatchedLogins driftRemoved } }"""
LIST = "{ integrations { key settings lastSyncAt syncStatus syncError } }"
DELETE = "mutation($k: String!, $f: Boolean!) { deleteIntegration(key: $k, force: $f) }"
REQUEST = """
mutation { requestAccess(request: {resource: "pg-live/shop", permissions: ["read"],
  durationMinutes: 30, justification: ""}) { id state } }"""
DETAILS = "query($id: ID!) { accessDetails(id: $id) { name value } }"


@pytest.fixture(scope="module")
def pg() -> Iterator[Postgres]:
    with running_postgres() as server:
        with server.connect() as admin:
            admin.execute("CREATE DATABASE shop")
        yield server


@pytest.fixture
def sealed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv(sealing.ENV_KEY, "e2e-sealing-key-0123456789abcdef")
    sealing.forget_key()
    yield
    sealing.forget_key()


def _integration(pg: Postgres, **changed: Any) -> dict[str, Any]:
    config = {
        "host": pg.host,
        "port": pg.port,
        "admin_user": pg.admin,
        "admin_password": pg.password,
        "roles": {"read": "pg_read_all_data"},
        **changed,
    }
    return {"key": "pg-live", "name": "Live PostgreSQL", "type": "postgresql", "config": config}


def _listed(live: LiveKeyturn) -> dict[str, Any]:
    (found,) = [i for i in live.admin.data(LIST)["integrations"] if i["key"] == "pg-live"]
    return dict(found)


def test_an_admin_manages_a_postgresql_integration_and_a_grantee_really_connects(
    live: LiveKeyturn, pg: Postgres, sealed: None
) -> None:
    saved = live.admin.data(SAVE, i=_integration(pg))["saveIntegration"]
    assert saved["settings"]["admin_password_from"] == "stored"
    assert pg.password not in str(saved)
    tested = live.admin.data(TEST, k="pg-live")["testIntegration"]
    assert tested["ok"] and tested["canCreateLogins"] and tested["server"].startswith("PostgreSQL")
    synced = live.admin.data(SYNC, k="pg-live")["syncIntegration"]
    assert synced["databases"] >= 2 and synced["driftRemoved"] == []
    listed = _listed(live)
    assert listed["syncStatus"] == "ok" and listed["lastSyncAt"]
    assert pg.password not in str(live.admin.data(LIST))
    assert live.grantee.error(LIST)["extensions"]["code"] == "forbidden"

    save_access_flow(
        live.services,
        actor=DEMO_ADMIN,
        flow=AccessFlow(
            key="live-readers",
            name="Live readers",
            requestor_groups=("engineering",),
            integrations=("pg-live",),
            permissions=("read",),
            max_duration_minutes=60,
        ),
    )
    asked = live.grantee.data(REQUEST)["requestAccess"]
    assert asked["state"] == "GRANTED"
    shown = live.grantee.data(DETAILS, id=asked["id"])["accessDetails"]
    details = {d["name"]: d["value"] for d in shown}
    with psycopg.connect(details["connection_string"], connect_timeout=5) as session:
        assert session.execute("SELECT current_database()").fetchone() == ("shop",)

    refused = live.admin.error(DELETE, k="pg-live", f=False)
    assert refused["extensions"]["code"] == "conflict" and "1 active grant" in refused["message"]
    assert live.admin.data(DELETE, k="pg-live", f=True) == {"deleteIntegration": [asked["id"]]}
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(details["connection_string"], connect_timeout=5).close()
    assert live.services.store.get_node("Integration", "pg-live") is None
    assert live.services.store.get_node("Resource", "pg-live/shop") is None


def test_a_wrong_admin_password_is_a_failed_test_and_a_failed_sync_with_no_secret(
    live: LiveKeyturn, pg: Postgres, sealed: None
) -> None:
    live.admin.data(SAVE, i=_integration(pg, admin_password="wrong-password-123"))
    tested = live.admin.data(TEST, k="pg-live")["testIntegration"]
    assert not tested["ok"] and "password authentication failed" in tested["message"]
    failed = live.admin.error(SYNC, k="pg-live")
    assert "password authentication failed" in failed["message"]
    assert "wrong-password-123" not in failed["message"]
    listed = _listed(live)
    assert listed["syncStatus"] == "failed" and "wrong-password-123" not in str(listed)
