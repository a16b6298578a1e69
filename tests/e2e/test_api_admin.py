"""Admin changes over GraphQL: user roles, disabling (with its revokes), forbid rules."""

from __future__ import annotations

from broker.demo import DEMO_ADMIN, DEMO_AUDITOR, DEMO_GRANTEE
from tests.e2e.conftest import LiveKeyturn

ROLE = "mutation($u: String!, $r: String!) { setUserRole(user: $u, role: $r) { key role } }"
DISABLE = 'mutation($u: String!) { disableUser(user: $u, reason: "left") }'
QUICK_LOOK = """
mutation { requestAccess(request: {resource: "pg-prod/orders", durationMinutes: 30}) {
  id state } }"""
SAVE_RULE = """
mutation($r: ForbidRuleInput!) {
  saveForbidRule(rule: $r) { key name enabled tags resources windowDays timeZone }
}"""
RULES = "{ forbidRules { key tags } }"


def test_an_admin_changes_a_role_and_the_new_role_applies_at_once(live: LiveKeyturn) -> None:
    promoted = live.admin.data(ROLE, u=DEMO_GRANTEE, r="auditor")["setUserRole"]
    assert promoted == {"key": DEMO_GRANTEE, "role": "auditor"}
    assert live.grantee.data("{ activeGrants(everyone: true) { id } }") == {"activeGrants": []}
    unknown = live.admin.error(ROLE, u=DEMO_GRANTEE, r="root")
    assert unknown["message"] == "role `root` is unknown: use one of admin, grantee, auditor"
    refused = live.auditor.error(ROLE, u=DEMO_AUDITOR, r="admin")
    assert refused["message"] == "only admins may manage users"
    last = live.admin.error(ROLE, u=DEMO_ADMIN, r="grantee")
    assert last["extensions"]["code"] == "conflict"


def test_disabling_a_user_revokes_their_grants_and_locks_them_out(live: LiveKeyturn) -> None:
    grant = live.grantee.data(QUICK_LOOK)["requestAccess"]
    assert grant["state"] == "GRANTED"
    assert live.grantee.error(DISABLE, u=DEMO_AUDITOR)["extensions"]["code"] == "forbidden"
    assert live.admin.data(DISABLE, u=DEMO_GRANTEE) == {"disableUser": [grant["id"]]}
    locked = live.grantee.error("{ me { key } }")
    assert locked["extensions"]["code"] == "unauthenticated"
    again = live.admin.error(DISABLE, u=DEMO_GRANTEE)
    assert again["message"] == f"user `{DEMO_GRANTEE}` is disabled already"


def test_a_forbid_rule_closes_what_a_flow_opens(live: LiveKeyturn) -> None:
    rule = {"key": "no-orders", "resources": ["pg-prod/orders"]}
    saved = live.admin.data(SAVE_RULE, r=rule)["saveForbidRule"]
    assert (saved["key"], saved["name"], saved["enabled"]) == ("no-orders", "no-orders", True)
    assert live.auditor.data(RULES) == {"forbidRules": [{"key": "no-orders", "tags": []}]}
    denied = live.grantee.error(QUICK_LOOK)
    assert denied["extensions"]["code"] == "access_denied"

    assert live.auditor.error(SAVE_RULE, r=rule)["message"] == "only admins may manage access flows"
    bad = live.admin.error(SAVE_RULE, r={"key": "empty"})
    assert bad["extensions"]["code"] == "invalid_input"
    assert bad["message"].startswith("forbid rule `empty` names nothing to close")
    zone = live.admin.error(
        SAVE_RULE,
        r={
            "key": "tz",
            "tags": ["pci"],
            "windowDays": ["mon"],
            "windowStart": "09:00",
            "windowEnd": "18:00",
            "timeZone": "Mars/Olympus",
        },
    )
    assert zone["extensions"]["code"] == "invalid_input"
    assert [r["key"] for r in live.auditor.data(RULES)["forbidRules"]] == ["no-orders"]
    assert live.admin.data('mutation { deleteForbidRule(key: "no-orders") }') == {
        "deleteForbidRule": True
    }
    assert live.grantee.data(QUICK_LOOK)["requestAccess"]["state"] == "GRANTED"
