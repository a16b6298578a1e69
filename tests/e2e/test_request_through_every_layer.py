"""One access request through HTTP, GraphQL, the broker, Cedar and the graph, to expiry."""

from __future__ import annotations

import time

import httpx

from broker.demo import DEMO_APPROVER, DEMO_GRANTEE
from graph import NodeRef
from tests.e2e.conftest import LiveKeyturn
from tests.support.http_server import GraphQLClient

REQUEST = """
mutation($resource: String!, $permissions: [String!]!, $minutes: Int!, $why: String!) {
  requestAccess(request: {resource: $resource, permissions: $permissions,
                          durationMinutes: $minutes, justification: $why}) {
    id state requester resource flow expiresAt
  }
}"""
APPROVE = "mutation($id: ID!) { approveRequest(id: $id) { id state grantedAt expiresAt } }"
MY_REQUESTS = "{ myRequests { id state expiresAt endedAt } }"
ACTIVE = "{ activeGrants { id resource } }"


def _has_access_edges(live: LiveKeyturn, resource: str) -> list[str]:
    edges = live.services.store.edges(
        "HAS_ACCESS", src=NodeRef("User", DEMO_GRANTEE), dst=NodeRef("Resource", resource)
    )
    return [e.key for e in edges]


def _wait_for_state(live: LiveKeyturn, request_id: str, state: str) -> dict[str, object]:
    deadline = time.monotonic() + 10
    while True:
        mine = live.grantee.data(MY_REQUESTS)["myRequests"]
        found = next(r for r in mine if r["id"] == request_id)
        if found["state"] == state or time.monotonic() > deadline:
            assert found["state"] == state, found
            return dict(found)
        time.sleep(0.05)


def test_request_is_approved_granted_then_expires_and_loses_access(live: LiveKeyturn) -> None:
    asked = live.grantee.data(
        REQUEST,
        resource="pg-prod/payments",
        permissions=["read"],
        minutes=30,
        why="incident 4711: reconcile a failed payout",
    )["requestAccess"]
    assert asked["state"] == "PENDING"
    assert asked["flow"] == "db-readers"
    assert asked["requester"] == DEMO_GRANTEE
    assert live.approver.data("{ pendingApprovals { id } }")["pendingApprovals"] == [
        {"id": asked["id"]}
    ]

    approved = live.approver.data(APPROVE, id=asked["id"])["approveRequest"]
    assert approved["state"] == "GRANTED"
    assert approved["expiresAt"] is not None
    assert _has_access_edges(live, "pg-prod/payments") == [asked["id"]]
    assert live.grantee.data(ACTIVE)["activeGrants"] == [
        {"id": asked["id"], "resource": "pg-prod/payments"}
    ]

    live.clock.advance(29 * 60)
    time.sleep(0.3)  # several scheduler passes: not yet due
    assert _has_access_edges(live, "pg-prod/payments") == [asked["id"]]

    live.clock.advance(60 + 1)
    expired = _wait_for_state(live, asked["id"], "EXPIRED")
    assert expired["endedAt"] is not None
    assert _has_access_edges(live, "pg-prod/payments") == []
    assert live.grantee.data(ACTIVE)["activeGrants"] == []


def test_flow_without_approvers_grants_at_once(live: LiveKeyturn) -> None:
    asked = live.grantee.data(
        REQUEST, resource="pg-prod/orders", permissions=["read"], minutes=15, why=""
    )["requestAccess"]
    assert asked["state"] == "GRANTED"
    assert asked["flow"] == "orders-quick-look"
    assert _has_access_edges(live, "pg-prod/orders") == [asked["id"]]


def test_request_no_flow_allows_names_the_resource_and_the_reason(live: LiveKeyturn) -> None:
    error = live.grantee.error(
        REQUEST, resource="pg-prod/payments", permissions=["write"], minutes=30, why="cleanup"
    )
    assert error["extensions"]["code"] == "access_denied"
    assert "`pg-prod/payments`" in error["message"]
    assert "`write`" in error["message"]
    assert live.grantee.data(MY_REQUESTS)["myRequests"] == []


def test_request_over_the_longest_duration_is_refused_with_the_limit(live: LiveKeyturn) -> None:
    error = live.grantee.error(
        REQUEST, resource="pg-prod/analytics", permissions=["read"], minutes=480, why="report"
    )
    assert "`pg-prod/analytics`" in error["message"]
    assert "240" in error["message"]


def test_a_request_only_its_requester_could_approve_is_refused_up_front(
    live: LiveKeyturn,
) -> None:
    # Nobody approves their own request (tests/unit/broker/test_approval_plans.py), and the
    # demo flow's only approver is the one asking: it could never be decided.
    error = live.approver.error(
        REQUEST, resource="pg-prod/payments", permissions=["read"], minutes=30, why="audit"
    )
    assert error["extensions"]["code"] == "invalid_input"
    assert "no one could ever approve flow `db-readers`" in error["message"]
    assert live.services.store.find_nodes("AccessRequest") == []


def test_second_approval_is_a_conflict_and_creates_no_second_grant(live: LiveKeyturn) -> None:
    asked = live.grantee.data(
        REQUEST, resource="pg-prod/payments", permissions=["read"], minutes=30, why="debug"
    )["requestAccess"]
    live.approver.data(APPROVE, id=asked["id"])
    error = live.approver.error(APPROVE, id=asked["id"])
    assert error["extensions"]["code"] == "conflict"
    assert _has_access_edges(live, "pg-prod/payments") == [asked["id"]]


def test_non_approver_cannot_approve(live: LiveKeyturn) -> None:
    asked = live.grantee.data(
        REQUEST, resource="pg-prod/payments", permissions=["read"], minutes=30, why="debug"
    )["requestAccess"]
    error = live.auditor.error(APPROVE, id=asked["id"])
    assert error["extensions"]["code"] == "forbidden"
    assert DEMO_APPROVER not in error["message"]


def test_every_operation_needs_a_signed_in_caller(live: LiveKeyturn) -> None:
    for query in (MY_REQUESTS, ACTIVE, "{ me { email } }"):
        error = live.anonymous.error(query)
        assert error["extensions"]["code"] == "unauthenticated"
    error = live.anonymous.error(
        REQUEST, resource="pg-prod/orders", permissions=["read"], minutes=5, why=""
    )
    assert error["extensions"]["code"] == "unauthenticated"
    bad = GraphQLClient(live.base_url, "kt_not-a-real-token")
    try:
        assert "unknown or revoked" in bad.error("{ me { email } }")["message"]
    finally:
        bad.close()


def test_only_admins_create_access_flows(live: LiveKeyturn) -> None:
    create = """
    mutation($flow: AccessFlowInput!) { createAccessFlow(flow: $flow) { key enabled } }"""
    flow = {
        "key": "analytics-readers",
        "name": "Analytics readers",
        "requestorGroups": ["engineering"],
        "resources": ["pg-prod/analytics"],
        "maxDurationMinutes": 120,
    }
    assert live.grantee.error(create, flow=flow)["extensions"]["code"] == "forbidden"
    assert live.admin.data(create, flow=flow)["createAccessFlow"] == {
        "key": "analytics-readers",
        "enabled": True,
    }
    unknown = {**flow, "key": "ghosts", "requestorGroups": ["ghost-team"]}
    error = live.admin.error(create, flow=unknown)
    assert error["extensions"]["code"] == "invalid_input"
    assert "`ghost-team`" in error["message"]
    assert live.services.store.get_node("AccessFlow", "ghosts") is None


def test_health_answers(live: LiveKeyturn) -> None:
    assert httpx.get(f"{live.base_url}/healthz").json() == {"status": "ok"}


def test_the_web_app_is_served_at_root(live: LiveKeyturn) -> None:
    page = httpx.get(f"{live.base_url}/")
    assert page.status_code == 200  # `make test` builds web/dist first
    assert '<div id="root">' in page.text


def test_oversized_query_is_refused_before_it_runs(live: LiveKeyturn) -> None:
    aliases = " ".join(f"m{i}: me {{ email }}" for i in range(1000))
    error = live.grantee.error("{ " + aliases + " }")
    assert "more than 2000 tokens" in error["message"]
