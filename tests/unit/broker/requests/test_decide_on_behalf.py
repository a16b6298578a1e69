"""decide_request on someone's behalf: the graph's REPORTS_TO decides who is a report."""

from __future__ import annotations

import pytest

from broker import InvalidInput, Services
from broker._lookup import load_identity
from broker.demo import DEMO_ADMIN, DEMO_APPROVER, DEMO_AUDITOR, DEMO_GRANTEE
from broker.flows.save_access_flow import save_access_flow
from broker.requests._decide import decide_request
from graph import NodeRef, UpsertNode
from policies.flows import AccessFlow

FOR_REPORTS = AccessFlow(
    key="for-reports",
    name="For one's reports",
    requestor_groups=("engineering",),
    resources=("pg-prod/analytics",),
    for_self=False,
    on_behalf_reports=True,
)


def _decide(services: Services, requester: str, beneficiary: str | None) -> tuple[bool, str]:
    store = services.store
    decision = decide_request(
        services,
        load_identity(store, requester),
        store.resource_context(NodeRef("Resource", "pg-prod/analytics")),
        permissions=["read"],
        duration_minutes=30,
        justification="",
        trigger="portal",
        beneficiary=None if beneficiary is None else load_identity(store, beneficiary),
    )
    return decision.allowed, decision.reason


def test_a_manager_may_request_for_a_direct_report_only(services: Services) -> None:
    save_access_flow(services, actor=DEMO_ADMIN, flow=FOR_REPORTS)
    # The demo grantee reports to the demo approver.
    assert _decide(services, DEMO_APPROVER, DEMO_GRANTEE) == (True, "")
    allowed, reason = _decide(services, DEMO_APPROVER, DEMO_AUDITOR)
    assert not allowed
    assert f"`{DEMO_AUDITOR}` is not one of your reports" in reason


def test_naming_oneself_as_beneficiary_is_a_request_for_oneself(services: Services) -> None:
    assert _decide(services, DEMO_GRANTEE, DEMO_GRANTEE) == _decide(services, DEMO_GRANTEE, None)


def test_only_users_can_be_beneficiaries(services: Services) -> None:
    guest = "guest@example.org"
    services.store.write([UpsertNode("ExternalUser", guest, {"email": guest})])
    identity = services.store.identity_context(NodeRef("ExternalUser", guest))
    with pytest.raises(InvalidInput, match="on behalf of users only"):
        decide_request(
            services,
            load_identity(services.store, DEMO_APPROVER),
            services.store.resource_context(NodeRef("Resource", "pg-prod/analytics")),
            permissions=["read"],
            duration_minutes=30,
            justification="",
            trigger="portal",
            beneficiary=identity,
        )
