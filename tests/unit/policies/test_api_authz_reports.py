"""API authorization of the read-only reports: flow analysis is for admins alone; the graph
and the log for admins and auditors; tokens for oneself, or anybody's for admins."""

from __future__ import annotations

import pytest

from policies.api_authz import ApiAuthorizer, Caller, Target

ADMIN = Caller("ada@corp.com", role="admin")
GRANTEE = Caller("gus@corp.com", role="grantee")
AUDITOR = Caller("amy@corp.com", role="auditor")

TABLE = [
    (ADMIN, "analyzeFlows", Target.api(), True),
    (ADMIN, "analyzeFlows", Target.access_flow("db-readers"), True),
    (AUDITOR, "analyzeFlows", Target.access_flow("db-readers"), False),
    (GRANTEE, "analyzeFlows", Target.api(), False),
    (AUDITOR, "queryGraph", Target.api(), True),
    (GRANTEE, "queryGraph", Target.api(), False),
    (AUDITOR, "viewAuditLog", Target.api(), True),
    (GRANTEE, "viewAuditLog", Target.api(), False),
    (GRANTEE, "issueToken", Target.user(GRANTEE.key), True),
    (GRANTEE, "issueToken", Target.user(AUDITOR.key), False),
    (AUDITOR, "issueToken", Target.user(GRANTEE.key), False),
    (ADMIN, "issueToken", Target.user(GRANTEE.key), True),
]


@pytest.mark.parametrize(("caller", "action", "target", "allowed"), TABLE)
def test_who_may_read_reports(caller: Caller, action: str, target: Target, allowed: bool) -> None:
    assert ApiAuthorizer().authorize(caller, action, target).allowed is allowed


def test_a_refused_flow_analysis_names_admins_as_the_only_role() -> None:
    decision = ApiAuthorizer().authorize(AUDITOR, "analyzeFlows", Target.api())
    assert decision.reason == "only admins may analyse access flows and read their compiled Cedar"
