"""API authorization of grant operations: revoke and extend (the grantee, or an admin),
completing manual tasks (assignees, or an admin), managing integrations (admins)."""

from __future__ import annotations

import pytest

from policies.api_authz import ApiAuthorizer, Caller, Target

ADMIN = Caller("ada@corp.com", role="admin")
GRANTEE = Caller("gus@corp.com", role="grantee")
ASKER = Caller("max@corp.com", role="grantee")  # asked on gus's behalf
OTHER = Caller("zoe@corp.com", role="grantee")
AUDITOR = Caller("amy@corp.com", role="auditor")

OWN = Target.access_request("r1", requester=GRANTEE.key, flow="f")
ON_BEHALF = Target.access_request("r2", requester=ASKER.key, flow="f", beneficiary=GRANTEE.key)
TASK = Target.task("r1:grant", assignees=frozenset({OTHER.key}))

TABLE = [
    (GRANTEE, "revoke", OWN, True),
    (GRANTEE, "extend", OWN, True),
    (GRANTEE, "revoke", ON_BEHALF, True),
    (GRANTEE, "extend", ON_BEHALF, True),
    (ASKER, "extend", ON_BEHALF, False),
    (OTHER, "revoke", OWN, False),
    (OTHER, "extend", OWN, False),
    (AUDITOR, "revoke", OWN, False),
    (AUDITOR, "extend", OWN, False),
    (ADMIN, "revoke", ON_BEHALF, True),
    (ADMIN, "extend", ON_BEHALF, True),
    (OTHER, "completeTask", TASK, True),
    (GRANTEE, "completeTask", TASK, False),
    (AUDITOR, "completeTask", TASK, False),
    (ADMIN, "completeTask", TASK, True),
    (ADMIN, "manageIntegrations", Target.integration("pg-prod"), True),
    (ADMIN, "manageIntegrations", Target.api(), True),
    (GRANTEE, "manageIntegrations", Target.integration("pg-prod"), False),
    (AUDITOR, "manageIntegrations", Target.integration("pg-prod"), False),
]


@pytest.mark.parametrize(("caller", "action", "target", "allowed"), TABLE)
def test_grant_operations_follow_the_table(
    caller: Caller, action: str, target: Target, allowed: bool
) -> None:
    decision = ApiAuthorizer().authorize(caller, action, target)
    assert decision.allowed is allowed, decision
    assert not decision.errors


def test_denials_say_who_may_instead() -> None:
    authorizer = ApiAuthorizer()
    assert (
        authorizer.authorize(AUDITOR, "extend", OWN).reason
        == "only admins may extend someone else's access"
    )
    assert (
        authorizer.authorize(GRANTEE, "manageIntegrations", Target.api()).reason
        == "only admins may manage integrations"
    )
    assert authorizer.authorize(GRANTEE, "completeTask", TASK).reason == (
        "only admins may complete tasks assigned to someone else"
    )
