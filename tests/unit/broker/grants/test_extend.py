"""Extending a grant: within the flow's extensions and maximum duration, moving every record
of the expiry together (the total lifetime's bound: test_extension_total)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from broker import (
    Forbidden,
    InvalidInput,
    Services,
    StateConflict,
    expire_due_grants,
    request_access,
)
from broker.demo import DEMO_ADMIN, DEMO_AUDITOR, DEMO_GRANTEE
from broker.flows.save_access_flow import save_access_flow
from broker.grants.extend_grant import extend_grant
from graph import NodeRef
from policies.flows import AccessFlow
from tests.support.clock import ManualClock
from tests.support.grants_lab import FLOW, RESOURCE, add_lab, ask, state_of


def _expiries(services: Services, key: str) -> tuple[float, float, float]:
    request = services.store.get_node("AccessRequest", key)
    grant = services.store.get_node("Grant", key)
    (edge,) = services.store.edges(
        "HAS_ACCESS", src=NodeRef("User", DEMO_GRANTEE), dst=NodeRef("Resource", RESOURCE)
    )
    assert request is not None and grant is not None
    return (
        float(request.props["expires_at"]),
        float(grant.props["expires_at"]),
        float(edge.props["expires_at"]),
    )


def test_an_extension_moves_the_expiry_of_the_request_the_grant_and_the_edge(
    services: Services, clock: ManualClock
) -> None:
    add_lab(services)
    granted = ask(services, minutes=30)
    before = float(granted.props["expires_at"])
    extended = extend_grant(services, actor=DEMO_GRANTEE, request=granted.key, minutes=25)
    assert extended.props["expires_at"] == before + 25 * 60
    assert extended.props["extensions"] == 1
    assert _expiries(services, granted.key) == (before + 25 * 60,) * 3

    clock.advance(30 * 60)
    assert expire_due_grants(services) == [], "the old expiry no longer applies"
    clock.advance(25 * 60)
    assert expire_due_grants(services) == [granted.key]


def test_extending_past_the_flows_limits_is_refused_precisely_and_changes_nothing(
    services: Services,
) -> None:
    add_lab(services)
    key = ask(services).key
    with pytest.raises(InvalidInput, match=f"`61` minutes would make request `{key}` last longer"):
        extend_grant(services, actor=DEMO_GRANTEE, request=key, minutes=61)
    with pytest.raises(InvalidInput, match="`0` minutes must be positive"):
        extend_grant(services, actor=DEMO_GRANTEE, request=key, minutes=0)
    extend_grant(services, actor=DEMO_GRANTEE, request=key, minutes=15)
    extend_grant(services, actor=DEMO_ADMIN, request=key, minutes=15)
    after_two = _expiries(services, key)
    with pytest.raises(InvalidInput, match=f"extended 2 time\\(s\\), the most flow `{FLOW}`"):
        extend_grant(services, actor=DEMO_GRANTEE, request=key, minutes=5)
    assert _expiries(services, key) == after_two


def test_a_flow_without_extensions_refuses_any(services: Services) -> None:
    granted = request_access(
        services,
        requester=DEMO_GRANTEE,
        resource="pg-prod/orders",
        permissions=["read"],
        duration_minutes=30,
    )
    assert granted.props["state"] == "GRANTED"
    with pytest.raises(InvalidInput, match="flow `orders-quick-look` allows no extensions"):
        extend_grant(services, actor=DEMO_GRANTEE, request=granted.key, minutes=5)


def test_only_the_grantee_or_an_admin_extends_and_only_a_live_grant(
    services: Services, clock: ManualClock
) -> None:
    add_lab(services)
    key = ask(services, minutes=10).key
    with pytest.raises(Forbidden, match="only admins may extend someone else's access"):
        extend_grant(services, actor=DEMO_AUDITOR, request=key, minutes=5)
    clock.advance(10 * 60)
    with pytest.raises(StateConflict, match="has expired: request access again"):
        extend_grant(services, actor=DEMO_GRANTEE, request=key, minutes=5)
    expire_due_grants(services)
    with pytest.raises(StateConflict, match="is EXPIRED: only a GRANTED request can be extended"):
        extend_grant(services, actor=DEMO_GRANTEE, request=key, minutes=5)
    assert state_of(services, key) == "EXPIRED"


def test_a_grant_from_a_flow_disabled_since_is_not_extended(services: Services) -> None:
    add_lab(services)
    key = ask(services).key
    flow = services.store.get_node("AccessFlow", FLOW)
    assert flow is not None
    disabled = replace(AccessFlow.from_json(str(flow.props["definition"])), enabled=False)
    save_access_flow(services, actor=DEMO_ADMIN, flow=disabled)
    with pytest.raises(InvalidInput, match=f"flow `{FLOW}`, which granted `{key}`, is disabled"):
        extend_grant(services, actor=DEMO_GRANTEE, request=key, minutes=5)
