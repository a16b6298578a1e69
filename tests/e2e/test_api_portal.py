"""The portal's queries over HTTP: what may be requested, one request, a preview."""

from __future__ import annotations

from broker.demo import DEMO_APPROVER, DEMO_GRANTEE
from tests.e2e.conftest import LiveKeyturn

REQUESTABLE = """
query($search: String!, $first: Int!, $after: String) {
  requestable(search: $search, first: $first, after: $after) {
    items { kind key name flows { flow permissions maxDurationMinutes justificationRequired
      approval } }
    endCursor hasNextPage
  }
}"""
PREVIEW = """
query($r: RequestAccessInput!) {
  previewRequest(request: $r) { allowed explanation durationMinutes flow { flow } }
}"""
REQUEST = "mutation($r: RequestAccessInput!) { requestAccess(request: $r) { id } }"
CREATE_FLOW = "mutation($f: AccessFlowInput!) { createAccessFlow(flow: $f) { key } }"
ONE = "query($id: ID!) { request(id: $id) { id state requester resource flow } }"
PAYMENTS = "pg-prod/payments"


def test_requestable_pages_through_what_the_grantee_may_request(live: LiveKeyturn) -> None:
    page = live.grantee.data(REQUESTABLE, search="pg-prod/", first=2)["requestable"]
    first = [item["key"] for item in page["items"]]
    assert page["hasNextPage"] and len(first) == 2
    rest = live.grantee.data(REQUESTABLE, search="pg-prod/", first=50, after=page["endCursor"])
    keys = first + [item["key"] for item in rest["requestable"]["items"]]
    assert keys == ["pg-prod/analytics", "pg-prod/orders", PAYMENTS]
    (payments,) = rest["requestable"]["items"][-1:]
    assert payments["flows"] == [
        {
            "flow": "db-readers",
            "permissions": ["read"],
            "maxDurationMinutes": 240,
            "justificationRequired": True,
            "approval": "grace@acme.example",
        }
    ]


def test_an_auditor_may_not_list_what_to_request(live: LiveKeyturn) -> None:
    refused = live.auditor.error(REQUESTABLE, search="", first=5)
    assert refused["extensions"]["code"] == "forbidden"


def test_preview_shows_the_deny_before_anything_is_sent(live: LiveKeyturn) -> None:
    asked = {"resource": PAYMENTS, "permissions": ["read"], "durationMinutes": 30}
    preview = live.grantee.data(PREVIEW, r=asked)["previewRequest"]
    assert preview["allowed"] is False and "justification" in preview["explanation"]
    refused = live.grantee.error(REQUEST, r=asked)
    assert refused["message"] == preview["explanation"]
    allowed = live.grantee.data(PREVIEW, r={**asked, "justification": "audit"})
    assert allowed["previewRequest"] == {
        "allowed": True,
        "explanation": "",
        "durationMinutes": 30,
        "flow": {"flow": "db-readers"},
    }


def test_one_request_for_its_requester_and_approver_and_the_same_refusal_for_others(
    live: LiveKeyturn,
) -> None:
    asked = {"resource": PAYMENTS, "justification": "audit"}
    made = live.grantee.data(REQUEST, r=asked)["requestAccess"]["id"]
    for client in (live.grantee, live.approver, live.admin, live.auditor):
        seen = client.data(ONE, id=made)["request"]
        assert (seen["id"], seen["requester"], seen["state"]) == (made, DEMO_GRANTEE, "PENDING")
    missing = "req_" + "0" * 32
    # Grace asks through a flow of her own; Linus neither asked nor approves it.
    flow = {"key": "grace-only", "name": "Grace only", "requestorUsers": [DEMO_APPROVER]}
    flow |= {"permissions": ["write"]}  # db-readers offers read only: this flow decides
    live.admin.data(CREATE_FLOW, f={**flow, "resources": ["pg-prod/analytics"]})
    theirs = live.approver.data(
        REQUEST, r={"resource": "pg-prod/analytics", "permissions": ["write"]}
    )["requestAccess"]["id"]
    seen_other = live.grantee.error(ONE, id=theirs)
    seen_missing = live.grantee.error(ONE, id=missing)
    assert seen_other["extensions"]["code"] == seen_missing["extensions"]["code"] == "forbidden"
    assert seen_other["message"].replace(theirs, "ID") == seen_missing["message"].replace(
        missing, "ID"
    )
