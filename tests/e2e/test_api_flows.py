"""Access flows over GraphQL: every field in and out, invalid flows store nothing, and
the analysis and compiled Cedar for admins only."""

from __future__ import annotations

from dataclasses import fields

from broker.demo import DEMO_APPROVER, DEMO_GRANTEE
from graph import NodeRef, UpsertEdge, UpsertNode
from policies.flows import AccessFlow
from tests.e2e.conftest import LiveKeyturn

CREATE = """
mutation($flow: AccessFlowInput!) {
  createAccessFlow(flow: $flow) {
    key name requestorGroups bundles forSelf onBehalfUsers maxExtensions defaultDurationMinutes
    approvalSteps { approvers approverGroups manager mode } approverReasonRequired
    pendingTimeoutMinutes autoApprove definition
  }
}"""
ONE = "query($key: String!) { accessFlow(key: $key) { key name definition } }"
FINDINGS = "{ flowFindings { flow kind message by } }"
CEDAR = "query($key: String!) { compiledFlow(key: $key) }"

STEPPED = {
    "key": "payments-stepped",
    "name": "Payments, two steps",
    "requestorGroups": ["engineering"],
    "resources": ["pg-prod/payments"],
    "permissions": ["read"],
    "maxDurationMinutes": 120,
    "defaultDurationMinutes": 30,
    "maxExtensions": 2,
    "onBehalfUsers": [DEMO_GRANTEE],
    "approvalSteps": [
        {"manager": True},
        {"approvers": [DEMO_APPROVER], "approverGroups": ["sre"], "mode": "all"},
    ],
    "approverReasonRequired": True,
    "pendingTimeoutMinutes": 600,
}


def test_a_flow_with_steps_and_on_behalf_options_round_trips(live: LiveKeyturn) -> None:
    saved = live.admin.data(CREATE, flow=STEPPED)["createAccessFlow"]
    assert saved["approvalSteps"] == [
        {"approvers": [], "approverGroups": [], "manager": True, "mode": "any"},
        {"approvers": [DEMO_APPROVER], "approverGroups": ["sre"], "manager": False, "mode": "all"},
    ]
    assert saved["onBehalfUsers"] == [DEMO_GRANTEE] and saved["forSelf"] is True
    assert (saved["maxExtensions"], saved["defaultDurationMinutes"]) == (2, 30)
    assert saved["autoApprove"] is False and saved["pendingTimeoutMinutes"] == 600
    stored = live.auditor.data(ONE, key="payments-stepped")["accessFlow"]
    assert stored["definition"] == saved["definition"]
    assert set(stored["definition"]) == {f.name for f in fields(AccessFlow)}


def test_an_invalid_flow_gives_the_flow_message_and_stores_nothing(live: LiveKeyturn) -> None:
    bad_step = {**STEPPED, "approvalSteps": [{"mode": "any"}]}
    error = live.admin.error(CREATE, flow=bad_step)
    assert error["extensions"]["code"] == "invalid_input"
    assert error["message"] == (
        "flow `payments-stepped` approval step 1 names no approver: add approvers, approver "
        "groups or the manager, or remove the step"
    )
    no_target = {"key": "empty", "name": "Empty", "everyone": True}
    assert live.admin.error(CREATE, flow=no_target)["message"].startswith(
        "flow `empty` names nothing to request"
    )
    for key in ("payments-stepped", "empty"):
        assert live.services.store.get_node("AccessFlow", key) is None
        missing = live.admin.error(ONE, key=key)
        assert missing["extensions"]["code"] == "not_found"
    assert "payments-stepped" not in live.services.engine.flows


def test_only_admins_save_flows_and_grantees_do_not_read_them(live: LiveKeyturn) -> None:
    for client in (live.auditor, live.grantee):
        error = client.error(CREATE, flow=STEPPED)
        assert error["message"] == "only admins may manage access flows"
    listed = live.auditor.data("{ accessFlows { key } }")["accessFlows"]
    assert listed == [{"key": "db-readers"}, {"key": "orders-quick-look"}]
    refused = live.grantee.error("{ accessFlows { key } }")
    assert refused["message"] == "only admins and auditors may see access flows"


def test_findings_flag_a_flow_allowing_nothing_and_a_shadowed_one(live: LiveKeyturn) -> None:
    assert live.admin.data(FINDINGS)["flowFindings"] == []
    store = live.services.store
    store.write(
        [
            UpsertNode("Group", "empty", {"name": "empty"}),
            UpsertNode("Group", "outer", {"name": "outer"}),
            UpsertEdge("MEMBER_OF", NodeRef("Group", "sre"), NodeRef("Group", "outer")),
            UpsertEdge("MEMBER_OF", NodeRef("Group", "backend"), NodeRef("Group", "outer")),
        ]
    )
    for key, group in (("empty-group", "empty"), ("nested-group", "outer")):
        flow = {"key": key, "name": key, "requestorGroups": [group], "tags": ["pci"]}
        live.admin.data(CREATE, flow=flow)
    nobody = {
        "key": "ghost-readers",
        "name": "Ghosts",
        "requestorUsers": [DEMO_GRANTEE],
        "resources": ["pg-prod/orders"],
        "enabled": False,
    }
    live.admin.data(CREATE, flow=nobody)
    narrower = {
        "key": "db-readers-short",
        "name": "Databases, shorter",
        "requestorGroups": ["engineering"],
        "integrations": ["pg-prod"],
        "maxDurationMinutes": 60,
        "justificationRequired": True,
    }
    live.admin.data(CREATE, flow=narrower)

    found = live.admin.data(FINDINGS)["flowFindings"]
    assert {
        "flow": "ghost-readers",
        "kind": "allows-nothing",
        "message": "flow `ghost-readers` is disabled",
        "by": None,
    } in found
    assert {
        "flow": "empty-group",
        "kind": "allows-nothing",
        "message": "flow `empty-group` has no requestors with members: its groups are empty "
        "and its users unknown",
        "by": None,
    } in found
    assert not [f for f in found if f["flow"] == "nested-group" and f["kind"] == "allows-nothing"]
    shadowed = [f for f in found if f["kind"] == "shadowed"]
    assert shadowed == [
        {
            "flow": "db-readers-short",
            "kind": "shadowed",
            "message": "flow `db-readers-short` allows nothing that flow `db-readers` does not "
            "already allow: remove it or narrow the other",
            "by": "db-readers",
        }
    ]


def test_compiled_cedar_is_shown_to_admins_only(live: LiveKeyturn) -> None:
    cedar = live.admin.data(CEDAR, key="orders-quick-look")["compiledFlow"]
    assert '@id("flow:orders-quick-look:0")' in cedar
    assert 'resource in Resource::"pg-prod/orders"' in cedar
    missing = live.admin.error(CEDAR, key="nope")
    assert missing["message"] == "no access flow `nope` exists: check the key"
    for client in (live.auditor, live.grantee):
        error = client.error(CEDAR, key="orders-quick-look")
        assert (
            error["message"] == "only admins may analyse access flows and read their compiled Cedar"
        )
        assert client.error(FINDINGS)["extensions"]["code"] == "forbidden"
