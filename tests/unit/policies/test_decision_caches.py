"""The engine's decision-time shortcuts never change an answer: a scope's first decision
(its slices evaluated one by one) and later ones (merged) agree with the whole policy set,
cached entities and contexts never outlive what they describe, and what is left out of a
request is only what no policy names."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from policies import compiler, engine
from policies.compiler import CompiledFlow
from policies.engine import Decision, PolicyEngine
from policies.entities import (
    CONTEXT_ATTRS,
    DecisionRequest,
    Principal,
    RequestContext,
    Resource,
    _principal_json,
    cedar_request,
    context_json,
    principal_key,
)
from policies.explain import explain_deny
from policies.flows import AccessFlow
from policies.forbid import ForbidRule

PG = ("Integration", "pg")
LEDGER = Resource("pg/orders/ledger", ancestors=(("Resource", "pg/orders"), PG))
ALICE = Principal("alice@corp.com", "alice@corp.com", groups=frozenset({"eng"}))
ON_PG = AccessFlow(key="on-pg", name="pg", requestor_groups=("eng",), integrations=("pg",))
ON_ORDERS = AccessFlow(
    key="on-orders", name="o", requestor_groups=("eng",), resources=("pg/orders",)
)
ON_LEDGER = AccessFlow(
    key="on-ledger",
    name="l",
    requestor_groups=("ops",),
    resources=("pg/orders/ledger",),
    justification_required=True,
)


def _ask(principal: Principal = ALICE, resource: Resource = LEDGER) -> DecisionRequest:
    return DecisionRequest(principal, resource, RequestContext("portal", ("read",), 30, "why"))


def test_a_scopes_first_decision_is_unmerged_and_agrees_with_the_merged_and_whole_sets() -> None:
    """Three slices apply; the first decision evaluates them one by one, the second merged."""
    flows = [ON_PG, ON_ORDERS, ON_LEDGER]
    engine, whole = PolicyEngine(flows), PolicyEngine(flows, sliced=False)
    keys = engine._state.index.keys_for(LEDGER)
    assert len(keys) == 3
    ops = replace(ALICE, groups=frozenset({"ops"}), key="olga@corp.com")
    for person in (ALICE, ops, replace(ALICE, groups=frozenset())):
        engine = PolicyEngine(flows)
        first = engine.decide(_ask(person))
        assert keys not in engine._state.merged._merged
        second = engine.decide(_ask(person))
        assert keys in engine._state.merged._merged
        assert first == second == whole.decide(_ask(person))
    assert PolicyEngine(flows).decide(_ask()) == Decision(
        True, ("on-orders", "on-pg"), ("flow:on-orders:0", "flow:on-pg:0")
    )


def test_a_forbid_rule_in_one_slice_denies_an_unmerged_decision_that_another_permits() -> None:
    freeze = ForbidRule(key="freeze", resources=("pg/orders",))
    flows = [ON_PG, ON_ORDERS]
    whole = PolicyEngine(flows, sliced=False, forbid_rules=[freeze])
    engine = PolicyEngine(flows, forbid_rules=[freeze])
    first, second = engine.decide(_ask()), engine.decide(_ask())
    assert not first.allowed
    assert first.policy_ids == ("forbid:freeze:0",)
    assert first == second == whole.decide(_ask())


def test_an_unmerged_batch_decides_as_decide_does() -> None:
    flows = [ON_PG, ON_ORDERS, ON_LEDGER]
    orders = Resource("pg/orders", ancestors=(PG,))
    requests = [_ask(resource=LEDGER), _ask(resource=orders), _ask(resource=LEDGER)]
    batch = PolicyEngine(flows).decide_batch(requests)
    assert batch == [PolicyEngine(flows, sliced=False).decide(r) for r in requests]


def test_an_updated_flow_is_seen_by_the_very_next_decision() -> None:
    engine = PolicyEngine([ON_PG, ON_ORDERS])
    for _ in range(3):  # merged and cached by now
        assert engine.decide(_ask()).allowed
    engine.upsert_flow(replace(ON_ORDERS, requestor_groups=("ops",)))
    assert engine.decide(_ask()).flow_keys == ("on-pg",)
    engine.upsert_flow(replace(ON_PG, enabled=False))
    assert not engine.decide(_ask()).allowed


def test_a_changed_group_membership_is_seen_by_the_very_next_decision() -> None:
    engine = PolicyEngine([ON_PG, ON_LEDGER])
    for _ in range(3):
        assert engine.decide(_ask()).flow_keys == ("on-pg",)
    moved = replace(ALICE, groups=frozenset({"ops"}))
    assert engine.decide(_ask(moved)).flow_keys == ("on-ledger",)
    assert not engine.decide(_ask(replace(ALICE, groups=frozenset()))).allowed
    assert engine.decide(_ask()).flow_keys == ("on-pg",)


def test_a_resource_moved_to_another_integration_is_seen_by_the_very_next_decision() -> None:
    engine = PolicyEngine([ON_PG])
    table = Resource("t", ancestors=(PG,))
    for _ in range(3):
        assert engine.decide(_ask(resource=table)).allowed
    moved = Resource("t", ancestors=(("Integration", "s3"),))
    assert not engine.decide(_ask(resource=moved)).allowed


def test_the_context_carries_only_the_attributes_some_policy_names() -> None:
    engine = PolicyEngine([ON_PG, ON_LEDGER])
    state = engine._state
    plain = state.merged.get(state.index.keys_for(Resource("pg/x", ancestors=(PG,))))
    # A flow for oneself only asks that there is no beneficiary, and needs no justification.
    assert plain.context_reads == CONTEXT_ATTRS - {"justification", "beneficiary_report"}
    assert "justification" in state.merged.get(state.index.keys_for(LEDGER)).context_reads
    context = RequestContext("portal", ("write", "read"), 30, " why ", 0.0, 'b"ob', True)
    request = DecisionRequest(ALICE, LEDGER, context)
    assert json.loads(context_json(context)) == cedar_request(request)["context"]
    assert json.loads(context_json(context, frozenset({"trigger", "duration_minutes"}))) == {
        "trigger": "portal",
        "duration_minutes": 30,
    }


def test_the_principals_attributes_are_sent_only_when_a_policy_names_them() -> None:
    engine = PolicyEngine([ON_PG])
    state = engine._state
    assert not state.merged.get(state.index.keys_for(LEDGER)).principal_attrs
    boss = replace(ALICE, manager="boss@corp.com")
    left_out = json.loads(_principal_json(principal_key(boss, attrs=False)))
    assert left_out["attrs"] == {}
    kept = json.loads(_principal_json(principal_key(boss)))
    assert kept["attrs"]["email"] == "alice@corp.com"
    assert kept["attrs"]["manager"] == {"__entity": {"type": "User", "id": "boss@corp.com"}}


def test_a_deny_is_explained_as_from_every_flow_though_only_the_offering_ones_are_read() -> None:
    """The engine hands the explanation only flows found by what they target."""
    tagged = AccessFlow(key="by-tag", name="t", requestor_groups=("sec",), tags=("pii",))
    typed = AccessFlow(key="by-type", name="y", requestor_groups=("ops",), resource_types=("pg",))
    bundled = AccessFlow(key="by-bundle", name="b", requestor_groups=("ops",), bundles=("fin",))
    both = AccessFlow(
        key="both", name="x", requestor_groups=("sec",), resources=("pg/orders",), tags=("pci",)
    )
    off = replace(ON_LEDGER, key="off", enabled=False, requestor_groups=("eng",))
    flows = [ON_PG, ON_ORDERS, ON_LEDGER, tagged, typed, bundled, both, off]
    engine = PolicyEngine(flows)
    resources = [
        LEDGER,
        replace(LEDGER, tags=frozenset({"pii"}), type="pg", bundles=frozenset({"fin"})),
        Resource("pg/orders", ancestors=(PG,), tags=frozenset({"pci"})),
        Resource("s3/b", ancestors=(("Integration", "s3"),), tags=frozenset({"pii"})),
    ]
    people = [replace(ALICE, groups=frozenset({g})) for g in ("nobody", "ops", "sec")]
    for resource in resources:
        for person in people:
            request = DecisionRequest(person, resource, RequestContext("link", ("read",), 30))
            decision = engine.decide(request)
            assert not decision.allowed
            assert decision.reason == explain_deny(request, flows, ())


def test_an_error_in_an_unmerged_decision_names_the_policy_by_its_id(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The overflowing policy sits in the ledger's slice, the permit in pg's: the error
    keeps its @id whether the slices were evaluated apart or merged."""
    overflowing = CompiledFlow(
        "overflow",
        ("flow:overflow:0",),
        '@id("flow:overflow:0") @flow("overflow") permit (principal, '
        'action == Action::"request", resource in Resource::"pg/orders/ledger") '
        "when { context.duration_minutes + 9223372036854775807 > 0 };\n",
        targets=(("Resource", "pg/orders/ledger"),),
        texts=(
            '@id("flow:overflow:0") @flow("overflow") permit (principal, '
            'action == Action::"request", resource in Resource::"pg/orders/ledger") '
            "when { context.duration_minutes + 9223372036854775807 > 0 };",
        ),
    )
    real_compile = compiler.compile_flow
    monkeypatch.setattr(
        engine,
        "compile_flow",
        lambda flow, schema: overflowing if flow.key == "overflow" else real_compile(flow, schema),
    )
    flows = PolicyEngine([ON_PG])
    flows.upsert_flow(replace(ON_LEDGER, key="overflow"))
    assert len(flows._state.index.keys_for(LEDGER)) == 2
    first, second = flows.decide(_ask()), flows.decide(_ask())
    assert first == second
    assert first.flow_keys == ("on-pg",)
    assert first.errors == (
        "error while evaluating policy `flow:overflow:0`: integer overflow while attempting "
        "to add the values `30` and `9223372036854775807`",
    )
