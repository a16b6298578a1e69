"""Saving a flow that names bundles, people to request for, and an escalation tier: each
must exist, bundles get COVERS edges, and a bundled resource is decided by the flow."""

from __future__ import annotations

import dataclasses

import pytest

from broker import InvalidInput, Services
from broker._lookup import load_identity
from broker.demo import DEMO_ADMIN, DEMO_APPROVER, DEMO_GRANTEE
from broker.flows.save_access_flow import save_access_flow
from broker.requests._decide import decide_request
from graph import NodeRef, UpsertEdge, UpsertNode
from policies.flows import AccessFlow

ONCALL = AccessFlow(
    key="oncall",
    name="On-call kit",
    requestor_groups=("backend",),
    bundles=("oncall-kit",),
    on_behalf_users=(DEMO_APPROVER,),
    escalation_minutes=30,
    escalation_users=(DEMO_ADMIN,),
    escalation_groups=("engineering",),
    approvers=(DEMO_APPROVER,),
)


def _add_bundle(services: Services) -> None:
    bundle = NodeRef("Bundle", "oncall-kit")
    services.store.write(
        [
            UpsertNode("Bundle", "oncall-kit", {"name": "On-call kit"}),
            UpsertEdge("COVERS", bundle, NodeRef("Resource", "pg-prod/analytics")),
        ]
    )


def _allowed(services: Services, resource: str) -> tuple[str, ...]:
    """The flows that allow the demo grantee to read `resource` (none: denied)."""
    store = services.store
    return decide_request(
        services,
        load_identity(store, DEMO_GRANTEE),
        store.resource_context(NodeRef("Resource", resource)),
        permissions=["read"],
        duration_minutes=30,
        justification="",
        trigger="portal",
    ).flow_keys


def test_a_flow_over_a_bundle_covers_the_bundle_and_decides_its_items(
    services: Services,
) -> None:
    _add_bundle(services)
    save_access_flow(services, actor=DEMO_ADMIN, flow=ONCALL)
    covers = services.store.edges("COVERS", src=NodeRef("AccessFlow", "oncall"))
    assert [e.dst for e in covers] == [NodeRef("Bundle", "oncall-kit")]
    assert _allowed(services, "pg-prod/analytics") == ("oncall",)
    assert _allowed(services, "pg-prod/payments") == ()


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"bundles": ("nope",)}, "names bundle `nope`, which does not exist: create it first"),
        ({"on_behalf_users": ("who@x",)}, "names on-behalf user `who@x`, which does not exist"),
        ({"escalation_users": ("who@x",)}, "names escalation user `who@x`, which does not"),
        ({"escalation_groups": ("ghosts",)}, "names escalation group `ghosts`, which does not"),
    ],
)
def test_a_flow_naming_what_does_not_exist_is_refused_and_nothing_saved(
    services: Services, change: dict[str, object], words: str
) -> None:
    _add_bundle(services)
    with pytest.raises(InvalidInput, match=words):
        save_access_flow(services, actor=DEMO_ADMIN, flow=dataclasses.replace(ONCALL, **change))
    assert services.store.get_node("AccessFlow", "oncall") is None
    assert "oncall" not in services.engine.flows
    assert _allowed(services, "pg-prod/analytics") == ()
