"""Bundles, a later start and cancel through HTTP, GraphQL, the broker, Cedar and the graph;
the later start is granted by the server's own scheduler thread."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from broker.demo import DEMO_ADMIN, DEMO_GRANTEE
from broker.flows.save_access_flow import save_access_flow
from graph import NodeRef
from policies.flows import AccessFlow
from tests.e2e.conftest import LiveKeyturn

SAVE_BUNDLE = """
mutation($key: String!, $items: [BundleItemInput!]!) {
  saveBundle(bundle: {key: $key, name: "Orders kit", items: $items}) { key items { key } }
}"""
REQUEST_BUNDLE = """
mutation($bundle: String!) {
  requestBundle(request: {bundle: $bundle, permissions: ["read"], durationMinutes: 20}) {
    id state resource bundle batch
  }
}"""
REQUEST = """
mutation($resource: String!, $why: String!, $startsAt: DateTime) {
  requestAccess(request: {resource: $resource, permissions: ["read"], durationMinutes: 15,
                          justification: $why, startsAt: $startsAt}) {
    id state startsAt
  }
}"""
CANCEL = "mutation($id: ID!) { cancelRequest(id: $id) { id state } }"
MY_REQUESTS = "{ myRequests { id state grantedAt expiresAt } }"


def _access(live: LiveKeyturn, who: str) -> list[str]:
    return [e.key for e in live.services.store.edges("HAS_ACCESS", src=NodeRef("User", who))]


def test_a_bundle_saved_and_requested_over_graphql_grants_every_item(live: LiveKeyturn) -> None:
    items = [{"key": "pg-prod/orders"}, {"key": "pg-prod/analytics"}]
    refused = live.grantee.error(SAVE_BUNDLE, key="orders-kit", items=items)
    assert "only admins may manage bundles" in refused["message"]
    saved = live.admin.data(SAVE_BUNDLE, key="orders-kit", items=items)["saveBundle"]
    assert {i["key"] for i in saved["items"]} == {"pg-prod/orders", "pg-prod/analytics"}
    save_access_flow(  # flows name bundles that exist
        live.services,
        actor=DEMO_ADMIN,
        flow=AccessFlow(
            key="kit-readers",
            name="The orders kit",
            requestor_groups=("backend",),
            bundles=("orders-kit",),
            max_duration_minutes=60,
        ),
    )

    made = live.grantee.data(REQUEST_BUNDLE, bundle="orders-kit")["requestBundle"]
    assert sorted(r["resource"] for r in made) == ["pg-prod/analytics", "pg-prod/orders"]
    assert {(r["state"], r["bundle"]) for r in made} == {("GRANTED", "orders-kit")}
    assert len({r["batch"] for r in made}) == 1
    assert sorted(_access(live, DEMO_GRANTEE)) == sorted(r["id"] for r in made)


def test_a_later_start_is_granted_by_the_servers_scheduler_when_it_comes(
    live: LiveKeyturn,
) -> None:
    start = datetime.fromtimestamp(live.clock() + 3600, tz=UTC).isoformat()
    asked = live.grantee.data(REQUEST, resource="pg-prod/orders", why="", startsAt=start)
    waiting = asked["requestAccess"]
    assert waiting["state"] == "APPROVED"
    time.sleep(0.3)  # several scheduler passes: not yet due
    assert waiting["id"] not in _access(live, DEMO_GRANTEE)

    live.clock.advance(3601)  # past the start (the ISO string rounds to microseconds)
    deadline = time.monotonic() + 10
    while True:
        mine = {r["id"]: r for r in live.grantee.data(MY_REQUESTS)["myRequests"]}
        if mine[waiting["id"]]["state"] == "GRANTED" or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert mine[waiting["id"]]["state"] == "GRANTED"
    assert _access(live, DEMO_GRANTEE) == [waiting["id"]]


def test_cancel_over_graphql_is_the_requesters_and_happens_once(live: LiveKeyturn) -> None:
    asked = live.grantee.data(REQUEST, resource="pg-prod/payments", why="ticket 8")
    pending = asked["requestAccess"]
    assert pending["state"] == "PENDING"
    refused = live.approver.error(CANCEL, id=pending["id"])
    assert "only admins may cancel someone else's request" in refused["message"]
    cancelled = live.grantee.data(CANCEL, id=pending["id"])["cancelRequest"]
    assert cancelled == {"id": pending["id"], "state": "CANCELLED"}
    again = live.grantee.error(CANCEL, id=pending["id"])
    assert "is CANCELLED" in again["message"]
