"""Bundles: admins save and delete them; people request all or part of one, all or nothing."""

from __future__ import annotations

import threading

import pytest

from broker import AccessDenied, Forbidden, InvalidInput, NotFound, Services, StateConflict, audit
from broker.demo import DEMO_ADMIN, DEMO_GRANTEE
from broker.flows.save_bundle import delete_bundle, save_bundle
from broker.jobs.start_scheduled import start_scheduled
from broker.requests.request_bundle import bundle_items, request_bundle
from graph import NodeRef
from tests.support.clock import ManualClock
from tests.support.requests_lab import add_flow, graph_state, requests

ORDERS = NodeRef("Resource", "pg-prod/orders")
ANALYTICS = NodeRef("Resource", "pg-prod/analytics")
PAYMENTS = NodeRef("Resource", "pg-prod/payments")
PG_PROD = NodeRef("Integration", "pg-prod")


def _kit(services: Services, key: str = "orders-kit", *items: NodeRef) -> None:
    save_bundle(
        services,
        actor=DEMO_ADMIN,
        key=key,
        name=key.replace("-", " "),
        items=items or (ORDERS, ANALYTICS),
    )


def _covered(services: Services, key: str) -> set[NodeRef]:
    return {e.dst for e in services.store.edges("COVERS", src=NodeRef("Bundle", key))}


def _kit_flow(services: Services) -> None:
    """Backend engineers get the orders kit at once."""
    add_flow(
        services,
        key="kit-readers",
        name="The orders kit",
        requestor_groups=("backend",),
        bundles=("orders-kit",),
        max_duration_minutes=60,
    )


def _events(services: Services, kind: str) -> list[audit.AuditEvent]:
    return [e for e in audit.read_events(services.store) if e.kind == kind]


# --- saving and deleting ------------------------------------------------------------------


def test_saving_a_bundle_stores_its_items_and_logs_them(services: Services) -> None:
    _kit(services)
    bundle = services.store.get_node("Bundle", "orders-kit")
    assert bundle is not None and bundle.props["name"] == "orders kit"
    assert _covered(services, "orders-kit") == {ORDERS, ANALYTICS}
    [saved] = _events(services, "bundle.created")
    assert saved.subject == "orders-kit" and saved.actor == DEMO_ADMIN
    assert saved.data["items"] == ["Resource:pg-prod/orders", "Resource:pg-prod/analytics"]


def test_saving_again_replaces_the_item_set(services: Services) -> None:
    _kit(services)
    _kit(services, "orders-kit", PAYMENTS, PG_PROD)
    assert _covered(services, "orders-kit") == {PAYMENTS, PG_PROD}
    [saved] = _events(services, "bundle.saved")
    assert saved.data["items"] == ["Resource:pg-prod/payments", "Integration:pg-prod"]


def test_a_bundle_naming_something_unknown_is_not_found_and_changes_nothing(
    services: Services,
) -> None:
    _kit(services)
    before = graph_state(services.store)
    with pytest.raises(NotFound, match="names resource `pg-prod/nope`, which does not exist"):
        _kit(services, "orders-kit", ORDERS, NodeRef("Resource", "pg-prod/nope"))
    assert graph_state(services.store) == before


def test_a_bundle_holds_resources_integrations_and_bundles_only(services: Services) -> None:
    before = graph_state(services.store)
    with pytest.raises(InvalidInput, match="cannot hold user"):
        _kit(services, "people", NodeRef("User", DEMO_GRANTEE))
    assert graph_state(services.store) == before


def test_a_bundle_may_not_end_up_inside_itself(services: Services) -> None:
    _kit(services, "inner", ORDERS)
    _kit(services, "outer", NodeRef("Bundle", "inner"))
    before = graph_state(services.store)
    with pytest.raises(InvalidInput, match="which holds `inner` itself"):
        _kit(services, "inner", ORDERS, NodeRef("Bundle", "outer"))
    with pytest.raises(InvalidInput, match="cannot hold itself"):
        _kit(services, "outer", NodeRef("Bundle", "outer"))
    assert graph_state(services.store) == before


def test_only_admins_manage_bundles(services: Services) -> None:
    before = graph_state(services.store)
    with pytest.raises(Forbidden, match="only admins may manage bundles"):
        save_bundle(services, actor=DEMO_GRANTEE, key="mine", name="mine", items=[ORDERS])
    assert graph_state(services.store) == before


def test_deleting_a_bundle_a_flow_targets_is_refused_naming_the_flow(
    services: Services,
) -> None:
    _kit(services)
    _kit_flow(services)
    before = graph_state(services.store)
    with pytest.raises(StateConflict, match="targeted by access flow `kit-readers`"):
        delete_bundle(services, actor=DEMO_ADMIN, key="orders-kit")
    assert graph_state(services.store) == before


def test_deleting_a_bundle_another_bundle_holds_is_refused(services: Services) -> None:
    _kit(services)
    _kit(services, "outer", NodeRef("Bundle", "orders-kit"))
    with pytest.raises(StateConflict, match="is an item of bundle `outer`"):
        delete_bundle(services, actor=DEMO_ADMIN, key="orders-kit")


def test_deleting_a_free_bundle_removes_it_and_logs_it(services: Services) -> None:
    _kit(services)
    delete_bundle(services, actor=DEMO_ADMIN, key="orders-kit")
    assert services.store.get_node("Bundle", "orders-kit") is None
    assert services.store.get_node("Resource", ORDERS.key) is not None, "items stay"
    assert [e.subject for e in _events(services, "bundle.deleted")] == ["orders-kit"]
    with pytest.raises(NotFound, match="no bundle `orders-kit` exists"):
        delete_bundle(services, actor=DEMO_ADMIN, key="orders-kit")


# --- requesting -----------------------------------------------------------------------------


def test_requesting_a_bundle_makes_one_request_per_item_in_one_batch(services: Services) -> None:
    _kit(services)
    _kit_flow(services)
    made = request_bundle(
        services,
        requester=DEMO_GRANTEE,
        bundle="orders-kit",
        permissions=["read"],
        duration_minutes=30,
    )
    assert [r.props["resource"] for r in made] == [ANALYTICS.key, ORDERS.key]
    assert {r.props["state"] for r in made} == {"GRANTED"}
    assert {r.props["bundle"] for r in made} == {"orders-kit"}
    assert len({r.props["batch"] for r in made}) == 1
    assert {r.props["flow"] for r in made} == {"kit-readers"}


def test_requesting_chosen_items_makes_requests_for_those_only(services: Services) -> None:
    _kit(services)
    _kit_flow(services)
    [made] = request_bundle(
        services,
        requester=DEMO_GRANTEE,
        bundle="orders-kit",
        items=[ORDERS.key],
        permissions=["read"],
    )
    assert made.props["resource"] == ORDERS.key
    assert made.props["duration_minutes"] == 60, "no duration: the flow's default"


def test_choosing_an_item_outside_the_bundle_is_invalid_and_changes_nothing(
    services: Services,
) -> None:
    _kit(services)
    _kit_flow(services)
    before = graph_state(services.store)
    with pytest.raises(InvalidInput, match="`pg-prod/payments` is not an item of bundle"):
        request_bundle(
            services,
            requester=DEMO_GRANTEE,
            bundle="orders-kit",
            items=[ORDERS.key, PAYMENTS.key],
            permissions=["read"],
        )
    assert graph_state(services.store) == before


def test_an_item_no_flow_covers_refuses_the_whole_bundle_and_stores_nothing(
    services: Services,
) -> None:
    """Orders alone would be granted at once; payments needs a justification, so neither."""
    _kit(services, "mixed", ORDERS, PAYMENTS)
    before = graph_state(services.store)
    with pytest.raises(AccessDenied) as refused:
        request_bundle(services, requester=DEMO_GRANTEE, bundle="mixed", permissions=["read"])
    assert "bundle `mixed` cannot be requested: item `pg-prod/payments` is refused" in str(
        refused.value
    )
    assert "needs a justification" in str(refused.value)
    assert graph_state(services.store) == before
    assert requests(services.store) == []
    [denied] = _events(services, "request.denied")
    assert (denied.resource, denied.data["bundle"]) == (PAYMENTS.key, "mixed")


def test_nested_bundles_and_a_whole_integration_resolve_to_their_items(
    services: Services,
) -> None:
    _kit(services)
    _kit(services, "outer", NodeRef("Bundle", "orders-kit"), PG_PROD)
    assert bundle_items(services.store, "outer") == [PG_PROD, ANALYTICS, ORDERS]
    made = request_bundle(
        services,
        requester=DEMO_GRANTEE,
        bundle="outer",
        permissions=["read"],
        justification="incident 4",
    )
    assert len(made) == 3
    targets = [services.store.edges("FOR", src=r.ref)[0].dst for r in made]
    assert targets == [PG_PROD, ANALYTICS, ORDERS]


def test_an_unknown_bundle_is_not_found(services: Services) -> None:
    with pytest.raises(NotFound, match="no bundle `nope` exists"):
        request_bundle(services, requester=DEMO_GRANTEE, bundle="nope", permissions=["read"])


def _race_saves(services: Services, sets: dict[str, tuple[NodeRef, ...]]) -> dict[str, str]:
    """Save `orders-kit` with each item set at once, one thread each; each one's outcome."""
    outcomes: dict[str, str] = {}
    barrier = threading.Barrier(len(sets))

    def save(name: str) -> None:
        barrier.wait()
        try:
            _kit(services, "orders-kit", *sets[name])
            outcomes[name] = "won"
        except StateConflict:
            outcomes[name] = "conflict"

    racers = [threading.Thread(target=save, args=(name,)) for name in sets]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()
    return outcomes


def test_concurrent_saves_of_a_bundle_never_blend_their_item_sets(services: Services) -> None:
    """Two admins replace the items at once: the bundle ends up with one set or the other,
    never a mix; a save that lost the race is a conflict and changed nothing."""
    _kit(services)
    sets = {"a": (PAYMENTS,), "b": (PG_PROD, ANALYTICS)}
    for _ in range(4):
        outcomes = _race_saves(services, sets)
        assert "won" in outcomes.values(), outcomes
        assert _covered(services, "orders-kit") in ({PAYMENTS}, {PG_PROD, ANALYTICS})
        _kit(services)  # back to the start for the next round


def test_an_item_nobody_could_approve_refuses_the_whole_bundle_and_stores_nothing(
    services: Services,
) -> None:
    """The only approver of analytics is the requester himself: no item is requested."""
    add_flow(
        services,
        key="analytics-self-approved",
        name="Analytics, approved by Linus",
        requestor_groups=("backend",),
        resources=(ANALYTICS.key,),
        approvers=(DEMO_GRANTEE,),
    )
    _kit(services)
    before = graph_state(services.store)
    with pytest.raises(InvalidInput, match="item `pg-prod/analytics` is refused: no one could"):
        request_bundle(services, requester=DEMO_GRANTEE, bundle="orders-kit", permissions=["read"])
    assert graph_state(services.store) == before


def test_a_bundle_with_a_later_start_waits_approved_then_starts_every_item(
    services: Services, clock: ManualClock
) -> None:
    _kit(services)
    _kit_flow(services)
    made = request_bundle(
        services,
        requester=DEMO_GRANTEE,
        bundle="orders-kit",
        permissions=["read"],
        starts_at=clock() + 900,
    )
    assert {r.props["state"] for r in made} == {"APPROVED"}
    clock.advance(900)
    assert start_scheduled(services) == 2
    stored = [services.store.get_node("AccessRequest", r.key) for r in made]
    assert {n.props["state"] for n in stored if n is not None} == {"GRANTED"}
