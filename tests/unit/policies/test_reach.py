"""policies.reach: a grant on a container is held to what its flow and the forbid rules
allow below it, the deny names what lies out of reach; the findings warn admins; and a
directly excluded resource is refused naming the exclusion."""

from __future__ import annotations

from dataclasses import replace

from policies.analysis import flows_reaching_excluded
from policies.engine import PolicyEngine
from policies.entities import Resource
from policies.forbid import ForbidRule
from policies.reach import Below, Finder, Lookout, closed_rules, confine, lookout
from tests.unit.policies.test_flow_options import (
    BASE,
    MONDAY_10,
    OFFICE,
    ORDERS,
    SATURDAY_10,
    _ask,
)

PG = Resource("pg", kind="Integration")
CARDS_BELOW = Below("pg/cards", frozenset({"pci"}))
EXCLUDING = replace(BASE, exclude_resources=("pg/cards",), exclude_tags=("pci",))


def _finder(*found: Below) -> tuple[list[Lookout], Finder]:
    asked: list[Lookout] = []

    def find(look: Lookout) -> list[Below]:
        asked.append(look)
        return [b for b in found if b.key in look.keys or b.tags & look.tags]

    return asked, find


def test_lookout_holds_the_exclusions_and_only_the_rules_closed_at_that_moment() -> None:
    hours = ForbidRule("pii-hours", tags=("pii",), **OFFICE)  # type: ignore[arg-type]
    off = ForbidRule("off", resources=("pg/x",), enabled=False)
    always = ForbidRule("cards", resources=("pg/cards",), bundles=("b",))
    rules = [hours, off, always]
    assert closed_rules(rules, MONDAY_10) == [always]
    assert closed_rules(rules, SATURDAY_10) == [hours, always]
    look = lookout(EXCLUDING, closed_rules(rules, SATURDAY_10))
    assert look == Lookout(frozenset({"pg/cards"}), frozenset({"pci", "pii"}), frozenset({"b"}))
    assert not lookout(BASE, [])


def test_a_container_is_refused_naming_what_its_flow_excludes_below_it() -> None:
    engine = PolicyEngine([EXCLUDING])
    request = _ask(PG)
    decision = engine.decide(request)
    assert decision.allowed  # Cedar judges pg alone
    _, find = _finder(CARDS_BELOW, Below("pg/orders"))
    refused = confine(decision, request, engine.flows, engine.forbid_rules, find)
    assert not refused.allowed and refused.flow_keys == ()
    assert refused.reason == (
        "flow `f` lets `alice@corp.com` request `pg` but not everything in it: `pg/cards` "
        "(excluded by flow `f`; tagged `pci`, which flow `f` excludes): request the resources "
        "you need one by one"
    )


def test_a_forbid_rule_below_refuses_with_its_policy_id_and_nothing_to_find_allows() -> None:
    engine = PolicyEngine([BASE], forbid_rules=[ForbidRule("no-pci", tags=("pci",))])
    request = _ask(PG)
    decision = engine.decide(request)
    asked, find = _finder(CARDS_BELOW)
    refused = confine(decision, request, engine.flows, engine.forbid_rules, find)
    assert refused.policy_ids == ("forbid:no-pci:0",)
    assert "`pg/cards` (resources tagged `pci` are closed by rule `no-pci`)" in refused.reason
    _, nothing = _finder(Below("pg/orders"))
    kept = confine(decision, request, engine.flows, engine.forbid_rules, nothing)
    assert kept == decision
    assert asked == [Lookout(tags=frozenset({"pci"}))]


def test_only_the_matched_flows_that_reach_cleanly_are_kept() -> None:
    engine = PolicyEngine([EXCLUDING, replace(BASE, key="g")])
    request = _ask(PG)
    decision = engine.decide(request)
    assert decision.flow_keys == ("f", "g")
    _, find = _finder(CARDS_BELOW)
    kept = confine(decision, request, engine.flows, engine.forbid_rules, find)
    assert (kept.allowed, kept.flow_keys, kept.policy_ids) == (True, ("g",), ("flow:g:0",))


def test_no_lookout_means_no_search() -> None:
    engine = PolicyEngine([BASE])
    request = _ask(PG)
    asked, find = _finder(CARDS_BELOW)
    decision = engine.decide(request)
    assert confine(decision, request, engine.flows, engine.forbid_rules, find) == decision
    assert asked == []


def test_a_directly_excluded_resource_names_the_exclusion_before_a_nearer_flow() -> None:
    excluding = replace(BASE, exclude_tags=("pii",))
    needs_write = replace(BASE, key="w", permissions=("write",))
    reason = PolicyEngine([excluding, needs_write]).decide(_ask(ORDERS)).reason
    assert reason == (
        "no access flow lets `alice@corp.com` request `pg/orders`: flow `f` excludes "
        "resources tagged `pii`; the nearest flow `w` does not offer permission `read` "
        "(offered: write)"
    )


def test_findings_name_flows_whose_containers_hold_what_they_exclude() -> None:
    rules = [ForbidRule("no-secrets", resources=("pg/secret",))]
    held = {("Integration", "pg"): [CARDS_BELOW, Below("pg/secret")]}

    def find(target: tuple[str, str]) -> Finder:
        return lambda look: [
            b for b in held.get(target, []) if b.key in look.keys or b.tags & look.tags
        ]

    found = flows_reaching_excluded(
        [EXCLUDING, replace(BASE, key="s3", integrations=("s3",))],
        rules,
        find,
    )
    assert [(f.flow_key, f.kind) for f in found] == [("f", "reaches-excluded")]
    assert found[0].message == (
        "flow `f` offers `pg`, which holds what may not be granted: `pg/cards` (excluded by "
        "flow `f`; tagged `pci`, which flow `f` excludes); `pg/secret` (`pg/secret` is closed "
        "by rule `no-secrets`); requests for `pg` as a whole are refused: offer the resources "
        "inside it instead, or change the exclusion or rule"
    )
