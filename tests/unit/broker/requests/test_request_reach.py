"""A grant reaches everything below what it names, so every request path refuses a
container holding what the matched flow excludes or a forbid rule closes: new requests,
bundles, extensions; with the reasons named and nothing stored."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from broker import AccessDenied, Services
from broker._lookup import load_identity
from broker.audit import read_events
from broker.demo import DEMO_ADMIN, DEMO_GRANTEE
from broker.flows.save_bundle import save_bundle
from broker.flows.save_forbid_rule import save_forbid_rule
from broker.grants.extend_grant import extend_grant
from broker.requests._decide import decide_request
from broker.requests.request_access import request_access
from broker.requests.request_bundle import request_bundle
from graph import NodeRef, UpsertEdge, UpsertNode
from policies.forbid import ForbidRule
from tests.support.clock import ManualClock
from tests.support.requests_lab import add_flow, graph_state

OPEN = {
    "key": "db-open",
    "name": "Databases at once",
    "requestor_groups": ("engineering",),
    "integrations": ("pg-prod",),
    "permissions": ("read",),
    "max_duration_minutes": 60,
}


def _ask(services: Services, resource: str = "pg-prod", **extra: object) -> str:
    node = request_access(
        services,
        requester=DEMO_GRANTEE,
        resource=resource,
        permissions=["read"],
        duration_minutes=30,
        **extra,  # type: ignore[arg-type]
    )
    return str(node.props["state"])


def _refused(services: Services, resource: str = "pg-prod") -> str:
    before = graph_state(services.store)
    with pytest.raises(AccessDenied) as refused:
        _ask(services, resource)
    assert graph_state(services.store) == before
    return str(refused.value)


def test_an_integration_holding_an_excluded_resource_is_refused_and_logged(
    services: Services,
) -> None:
    add_flow(services, **OPEN, exclude_resources=("pg-prod/payments",))
    reason = _refused(services)
    assert reason == (
        f"flow `db-open` lets `{DEMO_GRANTEE}` request `pg-prod` but not everything in it: "
        "`pg-prod/payments` (excluded by flow `db-open`): request the resources you need "
        "one by one"
    )
    denied = [e for e in read_events(services.store) if e.kind == "request.denied"]
    assert [(e.resource, e.data["explanation"]) for e in denied] == [("pg-prod", reason)]
    assert _ask(services, "pg-prod/analytics") == "GRANTED"


def test_a_resource_holding_an_excluded_tag_deeper_down_is_refused(services: Services) -> None:
    services.store.write(
        [
            UpsertNode("Resource", "pg-prod/orders/cards", {"name": "cards", "tags": ["pci"]}),
            UpsertEdge(
                "PART_OF",
                NodeRef("Resource", "pg-prod/orders/cards"),
                NodeRef("Resource", "pg-prod/orders"),
            ),
        ]
    )
    add_flow(services, **OPEN, exclude_tags=("pci",))
    # The demo's quick look at orders excludes nothing: it rightly grants orders whole.
    assert _ask(services, "pg-prod/orders") == "GRANTED"
    quick_look = {**OPEN, "key": "orders-quick-look", "integrations": ()}
    add_flow(services, **quick_look, resources=("pg-prod/orders",), enabled=False)
    assert "`pg-prod/orders/cards` (tagged `pci`, which flow `db-open` excludes)" in _refused(
        services, "pg-prod/orders"
    )
    assert "`pg-prod/orders/cards` (tagged `pci`" in _refused(services, "pg-prod")


def test_a_second_matching_flow_that_reaches_everything_still_grants(services: Services) -> None:
    add_flow(services, **OPEN, exclude_resources=("pg-prod/payments",))
    add_flow(services, **{**OPEN, "key": "db-all", "name": "all of it"})
    node = request_access(
        services,
        requester=DEMO_GRANTEE,
        resource="pg-prod",
        permissions=["read"],
        duration_minutes=30,
    )
    assert (node.props["state"], node.props["flow"]) == ("GRANTED", "db-all")


def test_a_forbid_rule_closes_a_container_only_outside_its_window(services: Services) -> None:
    clock = services.clock
    assert isinstance(clock, ManualClock)
    add_flow(services, **OPEN)
    rule = ForbidRule(
        "pci-office-hours",
        tags=("pci",),
        window_start="09:00",
        window_end="17:00",
        time_zone="UTC",
    )
    save_forbid_rule(services, actor=DEMO_ADMIN, rule=rule)
    now = datetime.fromtimestamp(clock(), UTC)
    clock.advance((20 - now.hour) % 24 * 3600 - now.minute * 60)  # 20:00 UTC: closed
    reason = _refused(services)
    assert "`pg-prod/payments` (resources tagged `pci` are closed outside" in reason
    assert "by rule `pci-office-hours`)" in reason
    clock.advance(14 * 3600)  # 10:00 UTC: open
    assert _ask(services) == "GRANTED"


def test_a_forbid_rule_on_a_bundle_closes_the_integration_holding_its_items(
    services: Services,
) -> None:
    add_flow(services, **OPEN)
    save_bundle(
        services,
        actor=DEMO_ADMIN,
        key="cards",
        name="cards",
        items=[NodeRef("Resource", "pg-prod/payments")],
    )
    save_forbid_rule(services, actor=DEMO_ADMIN, rule=ForbidRule("no-cards", bundles=("cards",)))
    assert "`pg-prod/payments` (bundle `cards` is closed by rule `no-cards`)" in _refused(services)


def test_a_bundle_holding_the_integration_is_refused_whole(services: Services) -> None:
    add_flow(services, **OPEN, exclude_tags=("pci",))
    save_bundle(
        services, actor=DEMO_ADMIN, key="pg", name="pg", items=[NodeRef("Integration", "pg-prod")]
    )
    before = graph_state(services.store)
    with pytest.raises(AccessDenied, match="`pg-prod/payments` \\(tagged `pci`"):
        request_bundle(
            services,
            requester=DEMO_GRANTEE,
            bundle="pg",
            permissions=["read"],
            duration_minutes=30,
        )
    assert graph_state(services.store) == before


def test_an_extension_is_refused_once_a_rule_closes_something_the_grant_reaches(
    services: Services,
) -> None:
    add_flow(services, **OPEN, max_extensions=3)
    node = request_access(
        services,
        requester=DEMO_GRANTEE,
        resource="pg-prod",
        permissions=["read"],
        duration_minutes=30,
    )
    extend_grant(services, actor=DEMO_GRANTEE, request=node.key, minutes=10)
    save_forbid_rule(services, actor=DEMO_ADMIN, rule=ForbidRule("no-pci", tags=("pci",)))
    with pytest.raises(AccessDenied, match="`pg-prod/payments` \\(resources tagged `pci`"):
        extend_grant(services, actor=DEMO_GRANTEE, request=node.key, minutes=10)


def test_a_thousand_resource_integration_decides_in_well_under_100_ms(
    services: Services,
) -> None:
    """One search below the container per decision, whatever its size."""
    ops: list[UpsertNode | UpsertEdge] = [
        UpsertNode("Integration", "big", {"name": "big", "type": "postgresql"})
    ]
    for n in range(1000):
        key = f"big/t{n}"
        tags = ["pci"] if n == 999 else ["plain"]
        ops.append(UpsertNode("Resource", key, {"name": key, "tags": tags}))
        ops.append(UpsertEdge("PART_OF", NodeRef("Resource", key), NodeRef("Integration", "big")))
    # In batches: one write of 2,000 ops exhausts the test Neo4j's small heap.
    services.store.import_batches(ops[start : start + 500] for start in range(0, len(ops), 500))
    add_flow(services, **{**OPEN, "integrations": ("big",)}, exclude_tags=("pci",))
    who = load_identity(services.store, DEMO_GRANTEE)
    target = services.store.resource_context(NodeRef("Integration", "big"))

    def decide() -> str:
        return decide_request(
            services,
            who,
            target,
            permissions=["read"],
            duration_minutes=30,
            justification="",
            trigger="portal",
        ).reason

    decide()  # warm the policy slices
    started = time.perf_counter()
    reason = decide()
    elapsed = time.perf_counter() - started
    assert "`big/t999` (tagged `pci`" in reason
    assert elapsed < 0.1, f"{elapsed * 1000:.1f} ms"
