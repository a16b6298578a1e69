"""An extension is decided again by the policies: the flow that granted the access must
still allow it, for the extension's minutes, to the requester as they are now."""

from __future__ import annotations

from dataclasses import replace

import pytest

from broker import AccessDenied, Services, audit, save_access_flow
from broker.demo import DEMO_ADMIN, DEMO_APPROVER, DEMO_GRANTEE
from broker.grants.extend_grant import extend_grant
from graph import DeleteEdge, NodeRef
from policies.flows import AccessFlow
from tests.support.grants_lab import FLOW, add_lab, ask, state_of


def _flow(services: Services) -> AccessFlow:
    node = services.store.get_node("AccessFlow", FLOW)
    assert node is not None
    return AccessFlow.from_json(str(node.props["definition"]))


def _expiry(services: Services, key: str) -> tuple[float, int]:
    node = services.store.get_node("AccessRequest", key)
    assert node is not None
    return float(node.props["expires_at"]), int(node.props.get("extensions") or 0)


def test_a_requester_who_left_the_group_is_refused_with_the_policys_reason(
    services: Services,
) -> None:
    add_lab(services)
    key = ask(services).key
    before = _expiry(services, key)
    services.store.write(
        [DeleteEdge("MEMBER_OF", NodeRef("User", DEMO_GRANTEE), NodeRef("Group", "backend"))]
    )
    with pytest.raises(AccessDenied) as refused:
        extend_grant(services, actor=DEMO_GRANTEE, request=key, minutes=30)
    assert str(refused.value) == (
        f"no access flow lets `{DEMO_GRANTEE}` request `lab/db`: `{DEMO_GRANTEE}` is not a "
        "requestor of any flow covering `lab/db`: you are not in group `engineering`"
    )
    assert _expiry(services, key) == before
    assert state_of(services, key) == "GRANTED"
    (event,) = [e for e in audit.read_events(services.store) if e.kind == "grant.extension_denied"]
    assert (event.actor, event.subject, event.data["decision"]) == (DEMO_GRANTEE, key, "deny")
    assert event.data["explanation"] == str(refused.value)


def test_a_flow_that_no_longer_offers_the_permission_refuses_the_extension(
    services: Services,
) -> None:
    add_lab(services)
    key = ask(services).key
    before = _expiry(services, key)
    narrowed = replace(_flow(services), permissions=("write",))
    save_access_flow(services, actor=DEMO_ADMIN, flow=narrowed)
    with pytest.raises(AccessDenied, match="`read`"):
        extend_grant(services, actor=DEMO_ADMIN, request=key, minutes=30)
    assert _expiry(services, key) == before


def test_another_flow_allowing_it_with_an_approval_does_not_extend_without_one(
    services: Services,
) -> None:
    add_lab(services)
    key = ask(services).key
    save_access_flow(
        services,
        actor=DEMO_ADMIN,
        flow=AccessFlow(
            key="lab-reviewed",
            name="Lab, reviewed",
            requestor_groups=("engineering",),
            integrations=("lab",),
            permissions=("read",),
            max_duration_minutes=60,
            approvers=(DEMO_APPROVER,),
        ),
    )
    extend_grant(services, actor=DEMO_GRANTEE, request=key, minutes=10)
    save_access_flow(
        services, actor=DEMO_ADMIN, flow=replace(_flow(services), requestor_groups=("sre",))
    )
    with pytest.raises(
        AccessDenied,
        match=f"flow `{FLOW}`, which granted `{key}`, no longer allows this access "
        "\\(only `lab-reviewed` would\\): request access again",
    ):
        extend_grant(services, actor=DEMO_GRANTEE, request=key, minutes=10)
    assert _expiry(services, key)[1] == 1


def test_an_extension_is_decided_for_its_own_minutes(services: Services) -> None:
    add_lab(services)
    key = ask(services, minutes=30).key
    extended = extend_grant(services, actor=DEMO_GRANTEE, request=key, minutes=30)
    assert extended.props["extensions"] == 1, "30 more minutes, within the 60 in all, is judged"
