"""After the grant over GraphQL: give back, revoke in bulk, extend, manual tasks, details."""

from __future__ import annotations

from typing import Any

from broker.demo import DEMO_APPROVER, DEMO_GRANTEE
from graph import NodeRef, UpsertEdge, UpsertNode
from tests.e2e.conftest import LiveKeyturn
from tests.support.webhook_receiver import SECRET, receiving

REQUEST = """
mutation($resource: String!, $minutes: Int) {
  requestAccess(request: {resource: $resource, durationMinutes: $minutes}) {
    id state expiresAt extensions
  }
}"""
REVOKE = 'mutation($id: ID!) { revokeGrant(id: $id, reason: "done") { id state revokedBy } }'
BULK = """
mutation($identity: String, $resource: String) {
  revokeGrants(identity: $identity, resource: $resource, reason: "offboarding")
}"""
EXTEND = """
mutation($id: ID!, $minutes: Int!) {
  extendGrant(id: $id, minutes: $minutes) { expiresAt extensions }
}"""
CREATE_FLOW = "mutation($f: AccessFlowInput!) { createAccessFlow(flow: $f) { key } }"
SAVE_INTEGRATION = """
mutation($i: IntegrationInput!) { saveIntegration(integration: $i) { key name type tags } }"""
TASKS = "{ myTasks { id request action state assignees } }"
COMPLETE = 'mutation($id: ID!) { completeTask(id: $id, note: "role added") { state doneBy note } }'
DETAILS = "query($id: ID!) { accessDetails(id: $id) { name value } }"
ORDERS = "pg-prod/orders"


def _flow(live: LiveKeyturn, **fields: Any) -> None:
    live.admin.data(CREATE_FLOW, f={"name": fields["key"], **fields})


def _lab_resource(live: LiveKeyturn) -> None:
    """Resource `lab/db` in integration `lab` (what a directory sync would write)."""
    live.services.store.write(
        [
            UpsertNode("Resource", "lab/db", {"name": "db", "type": "database", "tags": []}),
            UpsertEdge("PART_OF", NodeRef("Resource", "lab/db"), NodeRef("Integration", "lab")),
        ]
    )


def _granted(live: LiveKeyturn, resource: str = ORDERS, minutes: int = 30) -> str:
    made = live.grantee.data(REQUEST, resource=resource, minutes=minutes)["requestAccess"]
    assert made["state"] == "GRANTED"
    return str(made["id"])


def test_a_grantee_gives_access_back_and_cannot_twice(live: LiveKeyturn) -> None:
    grant = _granted(live)
    assert live.auditor.error(REVOKE, id=grant)["extensions"]["code"] == "forbidden"
    given_back = live.grantee.data(REVOKE, id=grant)["revokeGrant"]
    assert (given_back["state"], given_back["revokedBy"]) == ("REVOKED", DEMO_GRANTEE)
    assert live.grantee.error(REVOKE, id=grant)["extensions"]["code"] == "conflict"
    assert live.grantee.data("{ activeGrants { id } }")["activeGrants"] == []


def test_admins_revoke_every_grant_of_a_user_or_on_a_resource(live: LiveKeyturn) -> None:
    first, second = _granted(live), _granted(live)
    refused = live.auditor.error(BULK, resource=ORDERS)
    assert refused["extensions"]["code"] == "forbidden"
    assert sorted(live.admin.data(BULK, resource=ORDERS)["revokeGrants"]) == sorted([first, second])
    both = live.admin.error(BULK, identity=DEMO_GRANTEE, resource=ORDERS)
    assert both["message"] == "name either a user or a resource whose grants to revoke"


def test_extensions_stay_within_the_flows_limits(live: LiveKeyturn) -> None:
    _flow(
        live,
        key="analytics-ext",
        requestorGroups=["backend"],
        resources=["pg-prod/analytics"],
        maxDurationMinutes=60,
        maxExtensions=1,
    )
    grant = _granted(live, "pg-prod/analytics")
    extended = live.grantee.data(EXTEND, id=grant, minutes=30)["extendGrant"]
    assert extended["extensions"] == 1
    again = live.grantee.error(EXTEND, id=grant, minutes=30)
    assert again["extensions"]["code"] == "invalid_input"
    no_extensions = _granted(live)  # orders-quick-look allows none
    assert live.grantee.error(EXTEND, id=no_extensions, minutes=10)["extensions"]["code"] == (
        "invalid_input"
    )
    assert live.approver.error(EXTEND, id=grant, minutes=5)["extensions"]["code"] == "forbidden"


def test_a_manual_grant_waits_for_its_fulfillers_task(live: LiveKeyturn) -> None:
    lab = {
        "key": "lab",
        "name": "Lab",
        "type": "manual",
        "tags": ["test"],
        "config": {"fulfillers": [DEMO_APPROVER]},
    }
    saved = live.admin.data(SAVE_INTEGRATION, i=lab)["saveIntegration"]
    assert saved == {"key": "lab", "name": "Lab", "type": "manual", "tags": ["test"]}
    _lab_resource(live)
    _flow(live, key="lab-readers", requestorGroups=["backend"], integrations=["lab"])
    made = live.grantee.data(REQUEST, resource="lab/db", minutes=30)["requestAccess"]
    assert made["state"] == "GRANTING"

    assert live.grantee.data(TASKS)["myTasks"] == []
    [task] = live.approver.data(TASKS)["myTasks"]
    assert (task["request"], task["action"], task["state"]) == (made["id"], "grant", "open")
    assert live.grantee.error(COMPLETE, id=task["id"])["extensions"]["code"] == "forbidden"
    done = live.approver.data(COMPLETE, id=task["id"])["completeTask"]
    assert done == {"state": "done", "doneBy": DEMO_APPROVER, "note": "role added"}
    assert live.approver.error(COMPLETE, id=task["id"])["extensions"]["code"] == "conflict"
    assert live.approver.data(TASKS)["myTasks"] == []
    assert live.grantee.data(DETAILS, id=made["id"]) == {"accessDetails": []}
    refused = live.admin.error(DETAILS, id=made["id"])
    assert refused["extensions"]["code"] == "forbidden"


def test_integration_config_is_checked_and_never_echoed(live: LiveKeyturn) -> None:
    fields = live.admin.data('{ __type(name: "Integration") { fields { name } } }')
    assert "config" not in {f["name"] for f in fields["__type"]["fields"]}
    no_fulfillers = {"key": "lab", "name": "Lab", "type": "manual", "config": {}}
    error = live.admin.error(SAVE_INTEGRATION, i=no_fulfillers)
    assert error["extensions"]["code"] == "invalid_input" and "fulfillers" in error["message"]
    not_object = {**no_fulfillers, "config": ["x"]}
    assert live.admin.error(SAVE_INTEGRATION, i=not_object)["message"].startswith(
        "config must be a JSON object"
    )
    refused = live.grantee.error(SAVE_INTEGRATION, i={**no_fulfillers, "config": ["x"]})
    assert refused["extensions"]["code"] == "forbidden"
    assert live.services.store.get_node("Integration", "lab") is None


def test_webhook_access_details_reach_the_grantee_alone_and_config_stays_sealed(
    live: LiveKeyturn,
) -> None:
    with receiving() as receiver:
        hook = {
            "key": "lab",
            "name": "Lab",
            "type": "webhook",
            "config": {"url": receiver.url, "secret": SECRET},
        }
        assert live.admin.data(SAVE_INTEGRATION, i=hook)["saveIntegration"]["type"] == "webhook"
        stored = live.services.store.get_node("Integration", "lab")
        assert stored is not None and SECRET not in str(stored.props["config"])
        _lab_resource(live)
        _flow(live, key="lab-readers", requestorGroups=["backend"], integrations=["lab"])
        made = live.grantee.data(REQUEST, resource="lab/db", minutes=30)["requestAccess"]
        assert made["state"] == "GRANTED"
        assert receiver.actions() == ["grant"]

    details = live.grantee.data(DETAILS, id=made["id"])["accessDetails"]
    assert details == [
        {"name": "password", "value": "pw-" + made["id"][-6:]},
        {"name": "username", "value": "tmp_linus"},
    ]
    assert live.admin.error(DETAILS, id=made["id"])["extensions"]["code"] == "forbidden"
