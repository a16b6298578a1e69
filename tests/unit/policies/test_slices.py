"""policies._slices and the engine's sliced path: a decision sees only the policies that
could apply, the answer is the same as with the whole set, and a flow change re-parses
only the slices it touches."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from policies.engine import Decision, PolicyEngine
from policies.entities import DecisionRequest, Principal, RequestContext, Resource
from policies.flows import AccessFlow

PG = ("Integration", "pg")
ORDERS = Resource("pg/orders", ancestors=(PG,))
LEDGER = Resource("pg/orders/ledger", ancestors=(("Resource", "pg/orders"), PG))
BUCKET = Resource("s3/b", ancestors=(("Integration", "s3"),))
ALICE = Principal("alice@corp.com", "alice@corp.com", groups=frozenset({"eng"}))
ON_PG = AccessFlow(key="on-pg", name="pg", requestor_groups=("eng",), integrations=("pg",))
ON_ORDERS = AccessFlow(
    key="on-orders", name="o", requestor_groups=("eng",), resources=("pg/orders",)
)
ON_S3 = AccessFlow(key="on-s3", name="s3", requestor_groups=("eng",), integrations=("s3",))


def _ask(resource: Resource, minutes: int = 30) -> DecisionRequest:
    return DecisionRequest(ALICE, resource, RequestContext("portal", ("read",), minutes))


def test_a_decision_is_given_the_slices_of_the_resource_and_its_ancestors_only() -> None:
    engine = PolicyEngine([ON_PG, ON_ORDERS, ON_S3])
    index = engine._state.index
    assert index.keys_for(LEDGER) == (("Resource", "pg/orders"), PG)
    assert index.keys_for(BUCKET) == (("Integration", "s3"),)
    assert index.keys_for(Resource("gcs/x", ancestors=(("Integration", "gcs"),))) == ()


def test_both_flows_on_the_chain_decide_and_one_elsewhere_does_not() -> None:
    decision = PolicyEngine([ON_PG, ON_ORDERS, ON_S3]).decide(_ask(LEDGER))
    assert decision == Decision(True, ("on-orders", "on-pg"), ("flow:on-orders:0", "flow:on-pg:0"))


def test_sliced_and_unsliced_engines_decide_alike() -> None:
    flows = [ON_PG, ON_ORDERS, ON_S3, replace(ON_S3, key="s3-long", max_duration_minutes=600)]
    sliced, whole = PolicyEngine(flows), PolicyEngine(flows, sliced=False)
    for resource in (ORDERS, LEDGER, BUCKET, Resource("pg", kind="Integration")):
        for minutes in (30, 90, 600):
            assert sliced.decide(_ask(resource, minutes)) == whole.decide(_ask(resource, minutes))


def test_a_flow_change_rebuilds_only_the_slices_it_touches() -> None:
    engine = PolicyEngine([ON_PG, ON_ORDERS, ON_S3])
    before = dict(engine._state.index.slices)
    engine.upsert_flow(replace(ON_S3, max_duration_minutes=5))
    after = engine._state.index.slices
    assert after[PG] is before[PG]
    assert after[("Resource", "pg/orders")] is before[("Resource", "pg/orders")]
    assert after[("Integration", "s3")] is not before[("Integration", "s3")]
    assert not engine.decide(_ask(BUCKET)).allowed


def test_a_merged_set_survives_a_change_elsewhere_and_not_one_to_its_slices() -> None:
    engine = PolicyEngine([ON_PG, ON_ORDERS, ON_S3])
    engine.decide(_ask(LEDGER))
    keys = engine._state.index.keys_for(LEDGER)
    merged = engine._state.merged.get(keys)
    engine.upsert_flow(replace(ON_S3, max_duration_minutes=5))
    assert engine._state.merged.get(keys) is merged
    engine.upsert_flow(replace(ON_PG, max_duration_minutes=5))
    assert engine._state.merged.get(keys) is not merged
    assert engine.decide(_ask(LEDGER)).flow_keys == ("on-orders",)


def test_removing_the_last_flow_of_a_slice_drops_the_slice() -> None:
    engine = PolicyEngine([ON_PG, ON_S3])
    engine.remove_flow("on-s3")
    assert ("Integration", "s3") not in engine._state.index.slices
    assert engine.decide(_ask(BUCKET)).reason == "no access flow covers `s3/b`"


def test_a_disabled_flow_is_still_named_in_the_explanation() -> None:
    engine = PolicyEngine([replace(ON_S3, enabled=False)])
    assert engine.decide(_ask(BUCKET)).reason.endswith(
        "`on-s3` is disabled; an admin can enable it"
    )


def test_a_batch_decides_each_request_as_decide_would() -> None:
    engine = PolicyEngine([ON_PG, ON_ORDERS, replace(ON_S3, max_duration_minutes=20)])
    bob = Principal("bob@corp.com", "bob@corp.com")
    requests = [_ask(r, m) for r in (ORDERS, LEDGER, BUCKET) for m in (10, 30)]
    requests += [DecisionRequest(bob, ORDERS, RequestContext("portal", ("read",), 10))]
    requests.append(DecisionRequest(Principal("\ud800", "x"), ORDERS, requests[0].context))
    decisions = engine.decide_batch(requests)
    assert decisions == [engine.decide(request) for request in requests]
    assert [d.allowed for d in decisions] == [True, True, True, True, True, False, False, False]


def test_a_batch_with_conflicting_resource_chains_is_still_decided_one_by_one() -> None:
    """Two requests that disagree about `pg/orders`' parent cannot share one entity set."""
    moved = Resource(
        "pg/orders/ledger", ancestors=(("Resource", "pg/orders"), ("Integration", "s3"))
    )
    engine = PolicyEngine([ON_PG, ON_ORDERS])
    requests = [_ask(LEDGER), _ask(moved)]
    assert engine.decide_batch(requests) == [engine.decide(r) for r in requests]


def test_an_empty_batch_decides_nothing() -> None:
    assert PolicyEngine([ON_PG]).decide_batch([]) == []


def test_the_compiled_text_of_one_flow_is_exposed_read_only() -> None:
    engine = PolicyEngine([ON_PG, replace(ON_S3, enabled=False)])
    assert engine.compiled_text("on-pg").startswith('@id("flow:on-pg:0")\n@flow("on-pg")\npermit')
    assert engine.compiled_text("on-s3") == ""
    with pytest.raises(LookupError, match="no access flow `nope` is loaded"):
        engine.compiled_text("nope")


def test_decisions_during_flow_changes_see_either_the_old_or_the_new_flow() -> None:
    engine = PolicyEngine([ON_PG])
    short = replace(ON_PG, max_duration_minutes=10)
    done = threading.Event()

    def toggle() -> None:
        for n in range(60):
            engine.upsert_flow(short if n % 2 == 0 else ON_PG)
        done.set()

    writer = threading.Thread(target=toggle)
    writer.start()
    decided = 0
    while not done.is_set() or decided == 0:
        decision = engine.decide(_ask(ORDERS, 30))
        assert decision.allowed or decision.reason.endswith(
            "allows at most 10 minutes; you asked for 30"
        )
        decided += 1
    writer.join()


def test_a_merged_set_knows_whether_any_policy_reads_the_justification() -> None:
    plain = AccessFlow(key="p", name="P", everyone=True, resources=("r",))
    asking = replace(plain, key="j", resources=("s",), justification_required=True)
    engine = PolicyEngine([plain, asking])
    state = engine._state
    r, s = Resource("r"), Resource("s")
    assert not state.merged.get(state.index.keys_for(r)).reads_justification
    assert state.merged.get(state.index.keys_for(s)).reads_justification
    ask = RequestContext("portal", ("read",), 5, "")
    assert engine.decide(DecisionRequest(Principal("a", "a"), r, ask)).allowed
    assert not engine.decide(DecisionRequest(Principal("a", "a"), s, ask)).allowed
