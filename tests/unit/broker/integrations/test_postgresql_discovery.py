"""Discovery of a real PostgreSQL into the access graph: databases and schemas as resources,
logins as standing access, what the server no longer has cleaned up, and drift removed."""

from __future__ import annotations

import secrets
from typing import Any

import psycopg
import pytest

from broker import Services, request_access, save_access_flow
from broker.demo import DEMO_ADMIN, DEMO_AUDITOR, DEMO_GRANTEE
from broker.errors import Forbidden
from broker.grants.access_details import access_details
from broker.integrations._postgresql import login_for
from broker.integrations.check_integration import check_integration
from broker.integrations.save_integration import save_integration
from broker.integrations.sync_due_integrations import sync_due_integrations
from broker.integrations.sync_integration import DiscoveryFailed, sync_integration
from graph import NodeRef
from policies.flows import AccessFlow
from tests.support.clock import ManualClock
from tests.support.postgres_server import Postgres


def _save(services: Services, pg: Postgres, key: str, **changed: Any) -> None:
    config = {
        "host": pg.host,
        "port": pg.port,
        "admin_user": pg.admin,
        "admin_password": pg.password,
        "roles": {"read": "pg_read_all_data"},
        **changed,
    }
    save_integration(
        services, actor=DEMO_ADMIN, key=key, name="Lab", type="postgresql", config=config
    )


def _resources(services: Services, key: str) -> set[str]:
    return {
        node.key for node in services.store.find_nodes("Resource") if node.key.startswith(f"{key}/")
    }


def test_databases_and_schemas_become_resources_and_vanish_when_dropped(
    services: Services, pg: Postgres
) -> None:
    key, scratch = "pg-found", f"scratch_{secrets.token_hex(3)}"
    with pg.connect("shop") as shop:
        shop.execute(f"CREATE SCHEMA {scratch}")
    _save(services, pg, key)
    report = sync_integration(services, actor=DEMO_ADMIN, key=key)
    found = _resources(services, key)
    assert {f"{key}/shop", f"{key}/shop/sales", f"{key}/shop/{scratch}"} <= found
    assert report.databases >= 2 and report.schemas >= 3
    schema = services.store.get_node("Resource", f"{key}/shop/sales")
    assert schema is not None and schema.props["type"] == "schema"
    with pg.connect("shop") as shop:
        shop.execute(f"DROP SCHEMA {scratch}")
    again = sync_integration(services, actor=DEMO_ADMIN, key=key)
    assert _resources(services, key) == found - {f"{key}/shop/{scratch}"}
    assert again.removed >= 1
    node = services.store.get_node("Integration", key)
    assert node is not None and node.props["sync_status"] == "ok"


def test_an_existing_login_is_its_users_standing_access_with_the_mapped_permission(
    services: Services, pg: Postgres
) -> None:
    _save(services, pg, "pg-standing")
    report = sync_integration(services, actor=DEMO_ADMIN, key="pg-standing")
    (edge,) = services.store.edges(
        "HAS_ACCESS", src=NodeRef("User", DEMO_GRANTEE), dst=NodeRef("Integration", "pg-standing")
    )
    assert edge.props["standing"] is True and edge.props["permissions"] == ["read"]
    assert "linus" not in report.unmatched
    assert pg.admin in report.unmatched  # a login no Keyturn user matches is reported


def test_a_keyturn_login_that_outlived_its_grant_is_found_and_dropped_as_drift(
    wired: Services, pg: Postgres, clock: ManualClock
) -> None:
    _save(wired, pg, "pg-drift")
    sync_integration(wired, actor=DEMO_ADMIN, key="pg-drift")
    save_access_flow(
        wired,
        actor=DEMO_ADMIN,
        flow=AccessFlow(
            key="drift-readers",
            name="Drift readers",
            requestor_groups=("engineering",),
            integrations=("pg-drift",),
            permissions=("read",),
            max_duration_minutes=60,
        ),
    )
    granted = request_access(
        wired,
        requester=DEMO_GRANTEE,
        resource="pg-drift/shop",
        permissions=["read"],
        duration_minutes=30,
    )
    details = access_details(wired, viewer=DEMO_GRANTEE, request=granted.key)
    live = sync_integration(wired, actor=DEMO_ADMIN, key="pg-drift")
    assert live.drift_removed == []  # a grant still running is no drift
    clock.advance(31 * 60)  # expired, and the expiry job has not run (say it was down)
    report = sync_integration(wired, actor=DEMO_ADMIN, key="pg-drift")
    assert report.drift_removed == [login_for("pg-drift", granted.key)]
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(details["connection_string"], connect_timeout=5).close()


def test_an_unreachable_target_records_the_failed_sync_and_keeps_the_graph(
    services: Services, pg: Postgres
) -> None:
    _save(services, pg, "pg-gone")
    sync_integration(services, actor=DEMO_ADMIN, key="pg-gone")
    before = _resources(services, "pg-gone")
    _save(services, pg, "pg-gone", port=1)
    with pytest.raises(DiscoveryFailed, match="could not connect"):
        sync_integration(services, actor=DEMO_ADMIN, key="pg-gone")
    assert _resources(services, "pg-gone") == before
    node = services.store.get_node("Integration", "pg-gone")
    assert node is not None and node.props["sync_status"] == "failed"
    assert "could not connect" in str(node.props["sync_error"])


def test_only_admins_sync(services: Services, pg: Postgres) -> None:
    _save(services, pg, "pg-admins")
    with pytest.raises(Forbidden):
        sync_integration(services, actor=DEMO_AUDITOR, key="pg-admins")


def test_a_due_integration_is_discovered_again_and_a_failing_one_does_not_stop_the_rest(
    services: Services, pg: Postgres, clock: ManualClock
) -> None:
    _save(services, pg, "pg-due", sync_every_minutes=5)
    _save(services, pg, "pg-down", sync_every_minutes=5, port=1)
    _save(services, pg, "pg-manual")  # on demand only
    assert sync_due_integrations(services) == 2  # never synced: both due at once
    first = services.store.get_node("Integration", "pg-due")
    assert first is not None and first.props["sync_status"] == "ok"
    down = services.store.get_node("Integration", "pg-down")
    assert down is not None and down.props["sync_status"] == "failed"
    manual = services.store.get_node("Integration", "pg-manual")
    assert manual is not None and manual.props.get("last_sync_at") is None
    clock.advance(4 * 60)
    assert sync_due_integrations(services) == 0
    clock.advance(2 * 60)
    assert sync_due_integrations(services) == 2


def test_testing_an_integration_names_a_mapped_role_that_does_not_exist(
    services: Services, pg: Postgres
) -> None:
    _save(services, pg, "pg-check", roles={"read": "pg_read_all_data", "write": "no_writer"})
    found = check_integration(services, actor=DEMO_ADMIN, key="pg-check")
    assert not found.ok and found.missing_roles == ["no_writer"]
    assert found.can_create_logins and found.can_end_sessions
    assert "`no_writer` does not exist" in found.message
