"""policies.forbid: admin-wide forbid rules beat any permit and say why in the deny."""

from __future__ import annotations

from dataclasses import replace

import pytest

from policies.engine import PolicyEngine
from policies.flows import FlowInvalid
from policies.forbid import ForbidRule, compile_forbid
from tests.unit.policies.test_flow_options import (
    BASE,
    CARDS,
    MONDAY_10,
    OFFICE,
    ORDERS,
    SATURDAY_10,
    _ask,
)

PCI_HOURS = ForbidRule("pci-hours", tags=("pci",), **OFFICE)  # type: ignore[arg-type]
EVERYONE = replace(BASE, requestor_groups=(), everyone=True)


def test_a_forbid_rule_compiles_to_an_annotated_cedar_forbid() -> None:
    compiled = compile_forbid(ForbidRule("no-orders", resources=("pg/orders",)))
    assert compiled.text == (
        '@id("forbid:no-orders:0")\n'
        '@forbid("no-orders")\n'
        "forbid (\n"
        "  principal,\n"
        '  action == Action::"request",\n'
        '  resource in Resource::"pg/orders"\n'
        ");\n"
    )


def test_forbid_beats_permit_and_names_the_rule() -> None:
    engine = PolicyEngine(
        [EVERYONE], forbid_rules=[ForbidRule("no-orders", resources=("pg/orders",))]
    )
    decision = engine.decide(_ask(ORDERS))
    assert not decision.allowed
    assert decision.policy_ids == ("forbid:no-orders:0",)
    assert decision.reason == (
        "`alice@corp.com` may not request `pg/orders`: `pg/orders` is closed by rule `no-orders`"
    )
    assert engine.decide(_ask(CARDS)).allowed


def test_a_windowed_forbid_closes_only_outside_its_window() -> None:
    engine = PolicyEngine([EVERYONE], forbid_rules=[PCI_HOURS])
    assert engine.decide(_ask(CARDS, now=MONDAY_10)).allowed
    closed = engine.decide(_ask(CARDS, now=SATURDAY_10))
    assert not closed.allowed
    assert closed.reason.endswith(
        "resources tagged `pci` are closed outside Mon-Fri 09:00-18:00 Europe/Berlin "
        "by rule `pci-hours`"
    )
    assert engine.decide(_ask(ORDERS, now=SATURDAY_10)).allowed


def test_forbid_rules_can_be_replaced_and_a_bad_set_changes_nothing() -> None:
    engine = PolicyEngine([EVERYONE], forbid_rules=[PCI_HOURS])
    with pytest.raises(FlowInvalid, match="forbid rule `x` names nothing to close"):
        engine.set_forbid_rules([ForbidRule("x")])
    with pytest.raises(FlowInvalid, match="`pci-hours` is used by more than one rule"):
        engine.set_forbid_rules([PCI_HOURS, PCI_HOURS])
    assert list(engine.forbid_rules) == ["pci-hours"]
    assert not engine.decide(_ask(CARDS, now=SATURDAY_10)).allowed
    engine.set_forbid_rules([])
    assert engine.decide(_ask(CARDS, now=SATURDAY_10)).allowed


def test_forbid_rules_survive_replacing_the_flows() -> None:
    engine = PolicyEngine([EVERYONE], forbid_rules=[PCI_HOURS])
    engine.set_flows([replace(EVERYONE, key="other")])
    assert not engine.decide(_ask(CARDS, now=SATURDAY_10)).allowed


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (ForbidRule("Bad Key", tags=("pci",)), "forbid rule key `Bad Key` must be"),
        (ForbidRule("r", tags=(" ",)), "names a blank target ` `"),
        (
            ForbidRule(
                "r", tags=("pci",), window_start="10:00", window_end="09:00", time_zone="UTC"
            ),
            "forbid rule `r`: the window ends at `09:00`",
        ),
    ],
)
def test_a_malformed_forbid_rule_is_refused(rule: ForbidRule, message: str) -> None:
    with pytest.raises(FlowInvalid, match=message):
        compile_forbid(rule)


def test_one_rule_is_added_replaced_and_removed_without_touching_the_others() -> None:
    other = ForbidRule("no-orders", resources=("pg/orders",))
    engine = PolicyEngine([EVERYONE], forbid_rules=[other])
    engine.upsert_forbid_rule(PCI_HOURS)
    assert not engine.decide(_ask(CARDS, now=SATURDAY_10)).allowed
    engine.upsert_forbid_rule(replace(PCI_HOURS, enabled=False))  # disabled: closes nothing
    assert engine.decide(_ask(CARDS, now=SATURDAY_10)).allowed
    with pytest.raises(FlowInvalid, match="names nothing to close"):
        engine.upsert_forbid_rule(ForbidRule("pci-hours"))
    engine.remove_forbid_rule("pci-hours")
    assert list(engine.forbid_rules) == ["no-orders"]
    assert not engine.decide(_ask(ORDERS)).allowed
    with pytest.raises(LookupError, match="no forbid rule `pci-hours` is loaded"):
        engine.remove_forbid_rule("pci-hours")


def test_a_rule_can_close_a_bundle() -> None:
    bundled = replace(CARDS, bundles=frozenset({"payments"}))
    engine = PolicyEngine([EVERYONE], forbid_rules=[ForbidRule("b", bundles=("payments",))])
    decision = engine.decide(_ask(bundled))
    assert decision.reason.endswith("bundle `payments` is closed by rule `b`")
    assert engine.decide(_ask(CARDS)).allowed


def test_a_rule_round_trips_through_json_and_bad_json_is_refused() -> None:
    rule = replace(PCI_HOURS, bundles=("payments",), name="PCI hours", enabled=False)
    assert ForbidRule.from_json(rule.to_json()) == rule
    for text, message in (
        ("[1]", "must be a JSON object"),
        ('{"tags": ["pci"]}', "field `key` is required"),
        ('{"key": "r", "tags": "pci"}', "`tags` must be a list of strings"),
        ('{"key": "r", "tags": ["pci"], "enabled": "yes"}', "`enabled` must be true or false"),
        ('{"key": "r", "tags": ["pci"], "colour": "red"}', "unknown forbid rule field `colour`"),
        ('{"key": "r"}', "names nothing to close"),
    ):
        with pytest.raises(FlowInvalid, match=message):
            ForbidRule.from_json(text)
