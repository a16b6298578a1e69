"""The redis integration against a real server: an ACL user per grant that the grantee
really uses on its key pattern only, gone after revoke; discovery, drift and bad input."""

from __future__ import annotations

import json
import secrets
from typing import Any

import pytest
import redis

from broker import InvalidInput, Services, audit, request_access, save_access_flow
from broker.demo import DEMO_ADMIN, DEMO_GRANTEE
from broker.grants._write import GrantFailed
from broker.grants.access_details import access_details
from broker.grants.revoke_grant import revoke_grant
from broker.integrations._redis import login_for
from broker.integrations.save_integration import save_integration
from broker.integrations.sync_integration import sync_integration
from graph import Node, NodeRef
from policies.flows import AccessFlow
from tests.support.clock import ManualClock
from tests.support.redis_server import Redis


def _config(server: Redis, **changed: Any) -> dict[str, Any]:
    return {
        "host": server.host,
        "port": server.port,
        "admin_user": server.admin,
        "admin_password": server.password,
        "key_patterns": ["orders:*", "cache:*"],
        "grants": {"read": ["+@read"], "write": ["+@read", "+@write"]},
        **changed,
    }


def _add(services: Services, server: Redis, **changed: Any) -> str:
    key = f"rd-{secrets.token_hex(4)}"
    save_integration(
        services,
        actor=DEMO_ADMIN,
        key=key,
        name="Lab Redis",
        type="redis",
        config=_config(server, **changed),
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


def _ask(services: Services, key: str, pattern: str = "orders:*") -> Node:
    return request_access(
        services,
        requester=DEMO_GRANTEE,
        resource=f"{key}/{pattern}",
        permissions=["read"],
        duration_minutes=30,
    )


def _users(server: Redis) -> list[str]:
    admin = server.connect()
    try:
        names = [u.decode() if isinstance(u, bytes) else str(u) for u in admin.acl_users()]
        return sorted(n for n in names if n.startswith("kt_"))
    finally:
        admin.close()


def test_the_grantee_reads_its_key_pattern_only_and_revoke_disconnects_and_deletes_the_user(
    wired: Services, redis_server: Redis
) -> None:
    key = _add(wired, redis_server)
    granted = _ask(wired, key)
    details = access_details(wired, viewer=DEMO_GRANTEE, request=granted.key)
    assert details["user"] == login_for(key, granted.key)
    session = redis.Redis.from_url(details["connection_string"])
    assert session.get("orders:1") == b"9.5"
    with pytest.raises(redis.exceptions.NoPermissionError):
        session.get("cache:1")  # another pattern
    with pytest.raises(redis.exceptions.NoPermissionError):
        session.set("orders:3", "1")  # read, not write
    logged = json.dumps([e.data for e in audit.read_events(wired.store)])
    assert details["password"] not in logged and redis_server.password not in logged
    revoke_grant(wired, actor=DEMO_GRANTEE, request=granted.key)
    with pytest.raises(redis.exceptions.AuthenticationError):
        session.get("orders:1")  # reconnecting as a deleted user fails
    session.close()
    assert details["user"] not in _users(redis_server)
    wired.provisioner.revoke(granted)  # a revoke of a user already gone is a revoke done


def test_key_patterns_become_resources_a_user_is_standing_access_and_drift_is_dropped(
    wired: Services, redis_server: Redis, clock: ManualClock
) -> None:
    key = _add(wired, redis_server)
    pattern = wired.store.get_node("Resource", f"{key}/orders:*")
    assert pattern is not None and pattern.props["type"] == "key-pattern"
    (edge,) = wired.store.edges(
        "HAS_ACCESS", src=NodeRef("User", DEMO_GRANTEE), dst=NodeRef("Integration", key)
    )
    assert edge.props["standing"] is True and edge.props["permissions"] == ["read"]
    granted = _ask(wired, key)
    clock.advance(31 * 60)  # expired, and the expiry job has not run
    report = sync_integration(wired, actor=DEMO_ADMIN, key=key)
    assert report.drift_removed == [login_for(key, granted.key)]
    assert login_for(key, granted.key) not in _users(redis_server)


def test_a_wrong_admin_password_fails_the_grant_with_no_secret_and_makes_no_user(
    wired: Services, redis_server: Redis
) -> None:
    key = _add(wired, redis_server)
    save_integration(
        wired,
        actor=DEMO_ADMIN,
        key=key,
        name="Lab",
        type="redis",
        config=_config(redis_server, admin_password="not-the-password"),
    )
    before = _users(redis_server)
    with pytest.raises(GrantFailed, match="refused the admin"):
        _ask(wired, key)
    assert _users(redis_server) == before
    (failed,) = wired.store.find_nodes("AccessRequest", equals={"state": "FAILED"})
    assert "not-the-password" not in str(failed.props["reason"])


def test_bad_patterns_and_rules_are_refused_when_saved(
    services: Services, redis_server: Redis
) -> None:
    for changed in (
        {"key_patterns": []},
        {"key_patterns": ["orders *"]},
        {"grants": {"read": ["+@read on >pw"]}},
        {"grants": {"sudo": ["+@all"]}},
    ):
        with pytest.raises(InvalidInput):
            save_integration(
                services,
                actor=DEMO_ADMIN,
                key="rd-x",
                name="X",
                type="redis",
                config=_config(redis_server, **changed),
            )
    assert services.store.get_node("Integration", "rd-x") is None
