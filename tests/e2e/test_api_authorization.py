"""Every GraphQL field asks the API policies (`policies/api.cedar`) before returning data."""

from __future__ import annotations

from broker.demo import DEMO_APPROVER, DEMO_GRANTEE
from tests.e2e.conftest import LiveKeyturn

EVERYONES_GRANTS = "{ activeGrants(everyone: true) { id } }"
REQUEST = """
mutation { requestAccess(request: {resource: "pg-prod/orders", permissions: ["read"],
                                   durationMinutes: 30, justification: "check"}) { id } }"""


def test_a_grantee_is_refused_everyones_grants_with_the_roles_that_may(
    live: LiveKeyturn,
) -> None:
    error = live.grantee.error(EVERYONES_GRANTS)
    assert error["extensions"]["code"] == "forbidden"
    assert error["message"] == "only admins and auditors may see everyone's grants"
    assert live.auditor.data(EVERYONES_GRANTS) == {"activeGrants": []}
    assert live.admin.data(EVERYONES_GRANTS) == {"activeGrants": []}


def test_an_auditor_reads_but_does_not_request_access(live: LiveKeyturn) -> None:
    error = live.auditor.error(REQUEST)
    assert error["extensions"]["code"] == "forbidden"
    assert "only admins and grantees may request access" in error["message"]


def test_every_signed_in_role_sees_itself_and_its_queues(live: LiveKeyturn) -> None:
    for client, who in ((live.grantee, DEMO_GRANTEE), (live.approver, DEMO_APPROVER)):
        data = client.data("{ me { key } myRequests { id } pendingApprovals { id } }")
        assert data == {"me": {"key": who}, "myRequests": [], "pendingApprovals": []}
