"""Requests over GraphQL: on behalf of a report, a later start, cancel, ask again, bundles."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from broker.demo import DEMO_APPROVER, DEMO_GRANTEE
from tests.e2e.conftest import LiveKeyturn

FIELDS = "id state requester beneficiary resource durationMinutes startsAt previous bundle batch"
REQUEST = f"mutation($r: RequestAccessInput!) {{ requestAccess(request: $r) {{ {FIELDS} }} }}"
CANCEL = f"mutation($id: ID!) {{ cancelRequest(id: $id) {{ {FIELDS} }} }}"
AGAIN = f"""
mutation($id: ID!, $minutes: Int, $why: String) {{
  requestAgain(id: $id, durationMinutes: $minutes, justification: $why) {{ {FIELDS} justification }}
}}"""
CREATE_FLOW = "mutation($f: AccessFlowInput!) { createAccessFlow(flow: $f) { key } }"
SAVE_BUNDLE = """
mutation($b: BundleInput!) { saveBundle(bundle: $b) { key name description items { kind key } } }
"""
DELETE_BUNDLE = "mutation($key: String!) { deleteBundle(key: $key) }"
REQUEST_BUNDLE = f"""
mutation($r: RequestBundleInput!) {{ requestBundle(request: $r) {{ {FIELDS} }} }}"""
PAYMENTS = {"resource": "pg-prod/payments", "durationMinutes": 45, "justification": "ticket 5"}


def _flow(live: LiveKeyturn, **fields: Any) -> None:
    live.admin.data(CREATE_FLOW, f={"name": fields["key"], **fields})


def test_a_manager_asks_on_behalf_of_a_report(live: LiveKeyturn) -> None:
    _flow(
        live,
        key="for-reports",
        requestorGroups=["engineering"],
        resources=["pg-prod/analytics"],
        onBehalfReports=True,
    )
    asked = {"resource": "pg-prod/analytics", "beneficiary": DEMO_GRANTEE}
    made = live.approver.data(REQUEST, r=asked)["requestAccess"]
    assert (made["state"], made["requester"], made["beneficiary"]) == (
        "GRANTED",
        DEMO_APPROVER,
        DEMO_GRANTEE,
    )
    assert made["durationMinutes"] == 60, "no duration given: the flow's default"
    refused = live.grantee.error(REQUEST, r={**asked, "beneficiary": DEMO_APPROVER})
    assert refused["extensions"]["code"] == "access_denied"


def test_a_later_start_is_kept_and_a_past_one_refused(live: LiveKeyturn) -> None:
    later = datetime.fromtimestamp(live.clock() + 3600, UTC)
    made = live.grantee.data(REQUEST, r={**PAYMENTS, "startsAt": later.isoformat()})
    assert made["requestAccess"]["startsAt"] == later.isoformat()
    past = datetime.fromtimestamp(live.clock() - 3600, UTC).isoformat()
    error = live.grantee.error(REQUEST, r={**PAYMENTS, "startsAt": past})
    assert error["extensions"]["code"] == "invalid_input"


def test_cancel_then_ask_again_with_a_new_duration(live: LiveKeyturn) -> None:
    pending = live.grantee.data(REQUEST, r=PAYMENTS)["requestAccess"]
    refused = live.approver.error(CANCEL, id=pending["id"])
    assert refused["extensions"]["code"] == "forbidden"
    cancelled = live.grantee.data(CANCEL, id=pending["id"])["cancelRequest"]
    assert cancelled["state"] == "CANCELLED"
    twice = live.grantee.error(CANCEL, id=pending["id"])
    assert twice["extensions"]["code"] == "conflict"

    again = live.grantee.data(AGAIN, id=pending["id"], minutes=90)["requestAgain"]
    assert (again["state"], again["previous"]) == ("PENDING", pending["id"])
    assert (again["durationMinutes"], again["justification"]) == (90, "ticket 5")
    live_one = live.grantee.error(AGAIN, id=again["id"])
    assert live_one["extensions"]["code"] == "conflict"
    assert live.auditor.error(AGAIN, id=pending["id"])["extensions"]["code"] == "forbidden"
    missing = live.admin.error(CANCEL, id="nope")
    assert missing["message"] == "no access request `nope` exists: check the id"


def test_admins_save_bundles_and_people_request_them_whole_or_in_part(
    live: LiveKeyturn,
) -> None:
    kit = {
        "key": "orders-kit",
        "name": "Orders kit",
        "description": "orders and analytics",
        "items": [{"key": "pg-prod/orders"}, {"key": "pg-prod/analytics"}],
    }
    saved = live.admin.data(SAVE_BUNDLE, b=kit)["saveBundle"]
    assert saved["items"] == [
        {"kind": "Resource", "key": "pg-prod/analytics"},
        {"kind": "Resource", "key": "pg-prod/orders"},
    ]
    assert live.grantee.error(SAVE_BUNDLE, b=kit)["extensions"]["code"] == "forbidden"
    unknown = {**kit, "items": [{"key": "pg-prod/ghost"}]}
    assert live.admin.error(SAVE_BUNDLE, b=unknown)["extensions"]["code"] == "not_found"
    _flow(live, key="kit-readers", requestorGroups=["backend"], bundles=["orders-kit"])

    made = live.grantee.data(REQUEST_BUNDLE, r={"bundle": "orders-kit"})["requestBundle"]
    assert [r["resource"] for r in made] == ["pg-prod/analytics", "pg-prod/orders"]
    assert {r["state"] for r in made} == {"GRANTED"}
    assert {r["bundle"] for r in made} == {"orders-kit"} and len({r["batch"] for r in made}) == 1
    part = {"bundle": "orders-kit", "items": ["pg-prod/orders"]}
    assert len(live.grantee.data(REQUEST_BUNDLE, r=part)["requestBundle"]) == 1
    outside = live.grantee.error(REQUEST_BUNDLE, r={**part, "items": ["pg-prod/payments"]})
    assert outside["message"].startswith("`pg-prod/payments` is not an item of bundle")

    targeted = live.admin.error(DELETE_BUNDLE, key="orders-kit")
    assert targeted["extensions"]["code"] == "conflict"
    assert "access flow `kit-readers`" in targeted["message"]
    live.admin.data(SAVE_BUNDLE, b={"key": "spare", "name": "Spare", "items": []})
    assert live.admin.data(DELETE_BUNDLE, key="spare") == {"deleteBundle": True}
    assert live.services.store.get_node("Bundle", "spare") is None
