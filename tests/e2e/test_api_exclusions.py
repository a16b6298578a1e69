"""A flow's exclusions and the forbid rules hold for what a grant reaches: a request for an
integration holding an excluded or closed resource is refused, naming it, and nobody ends
up reaching that resource through the integration."""

from __future__ import annotations

from typing import Any

from broker.demo import DEMO_GRANTEE
from tests.e2e.conftest import LiveKeyturn

CREATE_FLOW = "mutation($f: AccessFlowInput!) { createAccessFlow(flow: $f) { key } }"
SAVE_RULE = "mutation($r: ForbidRuleInput!) { saveForbidRule(rule: $r) { key } }"
REQUEST = "mutation($r: RequestAccessInput!) { requestAccess(request: $r) { id state } }"
WHO_CAN = "query($r: String!) { whoCanAccess(resource: $r) { identity { key } grant } }"
FINDINGS = "{ flowFindings { flow kind message } }"
# Auto-approved, and no justification: the demo's `db-readers` (which needs one) stays out.
DB_OPEN: dict[str, Any] = {
    "key": "db-open",
    "name": "Databases, at once",
    "requestorGroups": ["engineering"],
    "integrations": ["pg-prod"],
    "permissions": ["read"],
    "maxDurationMinutes": 60,
}
ASK = {"permissions": ["read"], "durationMinutes": 30}


def _who_can(live: LiveKeyturn, resource: str) -> set[str]:
    found = live.auditor.data(WHO_CAN, r=resource)["whoCanAccess"]
    return {row["identity"]["key"] for row in found}


def test_an_integration_holding_an_excluded_resource_is_refused_naming_it(
    live: LiveKeyturn,
) -> None:
    """The issue's reproduction: exclusions by resource and by tag."""
    excluding = {**DB_OPEN, "excludeResources": ["pg-prod/payments"], "excludeTags": ["pci"]}
    live.admin.data(CREATE_FLOW, f=excluding)

    refused = live.grantee.error(REQUEST, r={**ASK, "resource": "pg-prod"})
    assert refused["extensions"]["code"] == "access_denied"
    assert refused["message"] == (
        f"flow `db-open` lets `{DEMO_GRANTEE}` request `pg-prod` but not everything in it: "
        "`pg-prod/payments` (excluded by flow `db-open`; tagged `pci`, which flow `db-open` "
        "excludes): request the resources you need one by one"
    )
    assert DEMO_GRANTEE not in _who_can(live, "pg-prod/payments")

    # The excluded resource itself: the exclusion is named, not only the nearest flow.
    direct = live.grantee.error(REQUEST, r={**ASK, "resource": "pg-prod/payments"})
    assert direct["message"] == (
        f"no access flow lets `{DEMO_GRANTEE}` request `pg-prod/payments`: flow `db-open` "
        "excludes `pg-prod/payments`; the nearest flow `db-readers` needs a justification"
    )
    # What the flow does allow inside pg-prod is still granted, one resource at a time.
    one = live.grantee.data(REQUEST, r={**ASK, "resource": "pg-prod/analytics"})
    assert one["requestAccess"]["state"] == "GRANTED"
    assert DEMO_GRANTEE in _who_can(live, "pg-prod/analytics")
    assert DEMO_GRANTEE not in _who_can(live, "pg-prod/payments")

    found = [f for f in live.admin.data(FINDINGS)["flowFindings"] if f["flow"] == "db-open"]
    assert found == [
        {
            "flow": "db-open",
            "kind": "reaches-excluded",
            "message": "flow `db-open` offers `pg-prod`, which holds what may not be granted: "
            "`pg-prod/payments` (excluded by flow `db-open`; tagged `pci`, which flow "
            "`db-open` excludes); requests for `pg-prod` as a whole are refused: offer the "
            "resources inside it instead, or change the exclusion or rule",
        }
    ]


def test_an_integration_holding_a_resource_a_forbid_rule_closes_is_refused(
    live: LiveKeyturn,
) -> None:
    live.admin.data(CREATE_FLOW, f=DB_OPEN)
    live.admin.data(SAVE_RULE, r={"key": "no-pci", "tags": ["pci"]})

    refused = live.grantee.error(REQUEST, r={**ASK, "resource": "pg-prod"})
    assert refused["extensions"]["code"] == "access_denied"
    assert refused["message"] == (
        f"flow `db-open` lets `{DEMO_GRANTEE}` request `pg-prod` but not everything in it: "
        "`pg-prod/payments` (resources tagged `pci` are closed by rule `no-pci`): request the "
        "resources you need one by one"
    )
    assert DEMO_GRANTEE not in _who_can(live, "pg-prod/payments")
    kinds = {(f["flow"], f["kind"]) for f in live.admin.data(FINDINGS)["flowFindings"]}
    assert ("db-open", "reaches-excluded") in kinds

    # Without the rule the same request is granted, and reaches payments through pg-prod.
    live.admin.data('mutation { deleteForbidRule(key: "no-pci") }')
    granted = live.grantee.data(REQUEST, r={**ASK, "resource": "pg-prod"})
    assert granted["requestAccess"]["state"] == "GRANTED"
    assert DEMO_GRANTEE in _who_can(live, "pg-prod/payments")
    assert not [f for f in live.admin.data(FINDINGS)["flowFindings"] if f["flow"] == "db-open"]
