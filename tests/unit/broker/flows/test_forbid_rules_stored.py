"""Admin-wide forbid rules kept in the graph: saved, applied at once, loaded at start,
deleted, each change audited; bad rules refused with nothing stored."""

from __future__ import annotations

import pytest

from broker import Forbidden, InvalidInput, NotFound, Services
from broker._lookup import load_identity
from broker.audit import read_events
from broker.demo import DEMO_ADMIN, DEMO_APPROVER, DEMO_GRANTEE
from broker.flows.save_access_flow import load_flows_into_engine
from broker.flows.save_forbid_rule import delete_forbid_rule, save_forbid_rule
from broker.requests._decide import decide_request
from graph import NodeRef
from policies.engine import PolicyEngine
from policies.forbid import ForbidRule

PCI = ForbidRule("no-pci", tags=("pci",), name="No PCI data")


def _reason(services: Services) -> str:
    """Why the approver may not read the demo's pci-tagged payments ("" when allowed)."""
    store = services.store
    return decide_request(
        services,
        load_identity(store, DEMO_APPROVER),
        store.resource_context(NodeRef("Resource", "pg-prod/payments")),
        permissions=["read"],
        duration_minutes=30,
        justification="month-end close",
        trigger="portal",
    ).reason


def _kinds(services: Services) -> list[str]:
    return [e.kind for e in read_events(services.store) if e.kind.startswith("forbid_rule.")]


def test_a_saved_rule_beats_the_flows_at_once_and_after_a_restart(services: Services) -> None:
    assert _reason(services) == ""
    save_forbid_rule(services, actor=DEMO_ADMIN, rule=PCI)
    closed = "resources tagged `pci` are closed by rule `no-pci`"
    assert closed in _reason(services)
    node = services.store.get_node("ForbidRule", "no-pci")
    assert node is not None and node.props["name"] == "No PCI data"
    assert ForbidRule.from_json(str(node.props["definition"])) == PCI
    services.engine = PolicyEngine()  # a fresh process: flows and rules come from the graph
    load_flows_into_engine(services)
    assert closed in _reason(services)
    assert _kinds(services) == ["forbid_rule.created"]


def test_updating_and_deleting_a_rule_applies_and_is_audited(services: Services) -> None:
    save_forbid_rule(services, actor=DEMO_ADMIN, rule=PCI)
    save_forbid_rule(services, actor=DEMO_ADMIN, rule=ForbidRule("no-pci", tags=("pii",)))
    assert _reason(services) == ""  # payments is tagged pci, not pii
    save_forbid_rule(
        services, actor=DEMO_ADMIN, rule=ForbidRule("no-pci", tags=("pci",), enabled=False)
    )
    assert _reason(services) == ""
    save_forbid_rule(services, actor=DEMO_ADMIN, rule=PCI)
    delete_forbid_rule(services, actor=DEMO_ADMIN, key="no-pci")
    assert _reason(services) == ""
    assert services.store.get_node("ForbidRule", "no-pci") is None
    assert _kinds(services) == [
        "forbid_rule.created",
        "forbid_rule.updated",
        "forbid_rule.updated",
        "forbid_rule.updated",
        "forbid_rule.deleted",
    ]


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        (ForbidRule("x", integrations=("nope",)), "names integration `nope`, which does not"),
        (ForbidRule("x", bundles=("nope",)), "names bundle `nope`, which does not exist"),
        (ForbidRule("x"), "names nothing to close"),
        (ForbidRule("Bad Key", tags=("pci",)), "forbid rule key `Bad Key`"),
        (
            ForbidRule(
                "x", tags=("pci",), window_start="09:00", window_end="17:00", time_zone="Mars/Base"
            ),
            "Mars/Base",
        ),
    ],
)
def test_a_bad_rule_is_refused_and_nothing_changes(
    services: Services, rule: ForbidRule, words: str
) -> None:
    with pytest.raises(InvalidInput, match=words):
        save_forbid_rule(services, actor=DEMO_ADMIN, rule=rule)
    assert services.store.find_nodes("ForbidRule") == []
    assert services.engine.forbid_rules == {}
    assert _kinds(services) == []


def test_only_admins_manage_forbid_rules(services: Services) -> None:
    with pytest.raises(Forbidden):
        save_forbid_rule(services, actor=DEMO_GRANTEE, rule=PCI)
    save_forbid_rule(services, actor=DEMO_ADMIN, rule=PCI)
    with pytest.raises(Forbidden):
        delete_forbid_rule(services, actor=DEMO_GRANTEE, key="no-pci")
    assert "no-pci" in services.engine.forbid_rules


def test_deleting_an_unknown_rule_is_not_found(services: Services) -> None:
    with pytest.raises(NotFound, match="no forbid rule `ghost` exists"):
        delete_forbid_rule(services, actor=DEMO_ADMIN, key="ghost")
