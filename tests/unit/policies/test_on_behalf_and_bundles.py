"""Requests on someone's behalf and bundles as flow targets, through the compiled Cedar."""

from __future__ import annotations

from dataclasses import replace

import pytest

from policies.compiler import compile_flow
from policies.engine import PolicyEngine
from policies.entities import DecisionRequest, Principal, RequestContext, Resource
from policies.flows import AccessFlow

BOSS = Principal("boss@corp.com", "boss@corp.com", groups=frozenset({"eng"}))
LEDGER = Resource(
    "pg/ledger", ancestors=(("Integration", "pg"),), bundles=frozenset({"finance", "oncall"})
)
OTHER = Resource("pg/other", ancestors=(("Integration", "pg"),))
BASE = AccessFlow(key="ledger", name="Ledger", requestor_groups=("eng",), resources=("pg/ledger",))


def _ask(
    engine: PolicyEngine,
    *,
    beneficiary: str | None = None,
    report: bool = False,
    resource: Resource = LEDGER,
) -> tuple[bool, str]:
    context = RequestContext(
        "portal", ("read",), 30, beneficiary=beneficiary, beneficiary_report=report
    )
    decision = engine.decide(DecisionRequest(BOSS, resource, context))
    return decision.allowed, decision.reason


def test_a_flow_for_oneself_only_refuses_requests_for_others() -> None:
    engine = PolicyEngine([BASE])
    assert _ask(engine) == (True, "")
    allowed, reason = _ask(engine, beneficiary="alice@corp.com", report=True)
    assert not allowed
    assert reason.endswith("the nearest flow `ledger` lets you request only for yourself")


def test_a_flow_for_named_users_allows_exactly_those() -> None:
    engine = PolicyEngine([replace(BASE, for_self=False, on_behalf_users=("alice@corp.com",))])
    assert _ask(engine, beneficiary="alice@corp.com")[0]
    allowed, reason = _ask(engine, beneficiary="bob@corp.com")
    assert not allowed
    assert "does not let you request for `bob@corp.com`" in reason
    allowed, reason = _ask(engine)
    assert not allowed
    assert "is for requests on behalf of others only" in reason


def test_a_flow_for_ones_reports_allows_direct_reports_only() -> None:
    engine = PolicyEngine([replace(BASE, on_behalf_reports=True)])
    assert _ask(engine, beneficiary="alice@corp.com", report=True)[0]
    assert _ask(engine)[0]
    allowed, reason = _ask(engine, beneficiary="bob@corp.com")
    assert not allowed
    assert "`bob@corp.com` is not one of your reports" in reason


def test_on_behalf_options_compile_to_one_condition() -> None:
    flow = replace(BASE, on_behalf_users=("a@x", "b@x"), on_behalf_reports=True)
    assert (
        '(!(context has beneficiary) || (context has beneficiary && [User::"a@x", User::"b@x"]'
        ".contains(context.beneficiary)) || "
        "(context has beneficiary_report && context.beneficiary_report))"
    ) in compile_flow(flow).text


def test_a_bundle_target_covers_what_the_bundle_covers_and_nothing_else() -> None:
    flow = replace(BASE, resources=(), bundles=("finance",))
    assert 'resource in Bundle::"finance"' in compile_flow(flow).text
    for engine in (PolicyEngine([flow]), PolicyEngine([flow], sliced=False)):
        assert _ask(engine) == (True, "")
        allowed, reason = _ask(engine, resource=OTHER)
        assert not allowed
        assert reason == "no access flow covers `pg/other`"


def test_a_bundle_target_keeps_its_tag_filter_and_exclusions() -> None:
    flow = replace(BASE, resources=(), bundles=("oncall",), exclude_resources=("pg/ledger",))
    allowed, reason = _ask(PolicyEngine([flow]))
    assert not allowed
    assert "the nearest flow `ledger` excludes `pg/ledger`" in reason


def test_bundle_policies_sit_in_their_own_slice() -> None:
    engine = PolicyEngine([replace(BASE, resources=(), bundles=("finance",))])
    assert engine._state.index.keys_for(LEDGER) == (("Bundle", "finance"),)
    assert engine._state.index.keys_for(OTHER) == ()


def test_batch_decisions_share_entities_across_bundled_chains() -> None:
    """A requested resource that is also another's ancestor keeps its bundle parents."""
    parent = Resource("pg/db", ancestors=(("Integration", "pg"),), bundles=frozenset({"b"}))
    child = Resource(
        "pg/db/t", ancestors=(("Resource", "pg/db"), ("Integration", "pg")), bundles=parent.bundles
    )
    engine = PolicyEngine([replace(BASE, resources=(), bundles=("b",))])
    context = RequestContext("portal", ("read",), 30, now=1_800_000_000)
    requests = [DecisionRequest(BOSS, r, context) for r in (child, parent, OTHER)]
    assert [d.allowed for d in engine.decide_batch(requests)] == [True, True, False]


@pytest.mark.parametrize("report", [True, False])
def test_reports_are_judged_from_the_context_not_the_beneficiary_name(report: bool) -> None:
    engine = PolicyEngine([replace(BASE, for_self=False, on_behalf_reports=True)])
    assert _ask(engine, beneficiary="anyone@corp.com", report=report)[0] is report
