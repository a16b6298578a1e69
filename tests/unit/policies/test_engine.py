"""policies.engine: decisions over the loaded flows, and why a request was denied."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import cedarpy
import pytest

from policies import compiler, engine
from policies.compiler import CompiledFlow, schema_text
from policies.engine import Decision, PolicyEngine, UnknownFlow
from policies.entities import DecisionRequest, Principal, RequestContext, Resource
from policies.flows import AccessFlow, FlowInvalid

DB_READERS = AccessFlow(
    key="db-readers",
    name="Database readers",
    requestor_groups=("engineering",),
    integrations=("pg-prod",),
    permissions=("read",),
    max_duration_minutes=240,
    justification_required=True,
)
PAYMENTS = Resource("pg-prod/payments", ancestors=(("Integration", "pg-prod"),))
LEDGER = Resource(
    "pg-prod/payments/ledger",
    ancestors=(("Resource", "pg-prod/payments"), ("Integration", "pg-prod")),
)
DENIED_BOB = "no access flow lets `bob@corp.com` request `pg-prod/payments`: "


def _user(
    key: str, *groups: str, parents: Mapping[str, tuple[str, ...]] | None = None
) -> Principal:
    return Principal(key, key, groups=frozenset(groups), group_parents=parents or {})


ALICE = _user("alice@corp.com", "engineering")
BOB = _user("bob@corp.com", "sales")


def _ask(
    principal: Principal = ALICE,
    resource: Resource = PAYMENTS,
    *,
    trigger: str = "portal",
    permissions: tuple[str, ...] = ("read",),
    minutes: int = 60,
    justification: str = "incident 42",
) -> DecisionRequest:
    return DecisionRequest(
        principal, resource, RequestContext(trigger, permissions, minutes, justification)
    )


def test_a_group_member_is_allowed_and_told_which_flow_decided() -> None:
    decision = PolicyEngine([DB_READERS]).decide(_ask())
    assert decision == Decision(True, ("db-readers",), ("flow:db-readers:0",))


def test_a_member_of_a_nested_group_is_allowed_through_the_callers_closure() -> None:
    """The caller passes every group, nested ones included; no nesting info is needed."""
    alice = _user("alice@corp.com", "backend", "engineering")
    assert PolicyEngine([DB_READERS]).decide(_ask(alice)).allowed


def test_a_group_that_is_a_parent_of_a_parent_is_followed_by_cedar() -> None:
    """alice in backend, backend in platform, platform in engineering."""
    parents = {"backend": ("platform",), "platform": ("engineering",)}
    nested = _user("alice@corp.com", "backend", parents=parents)
    flat = _user("alice@corp.com", "backend")
    flows = PolicyEngine([DB_READERS])
    assert flows.decide(_ask(nested)).allowed
    assert not flows.decide(_ask(flat)).allowed


def test_a_non_member_is_denied_with_the_reason() -> None:
    decision = PolicyEngine([DB_READERS]).decide(_ask(BOB))
    assert not decision.allowed
    assert decision.flow_keys == decision.policy_ids == decision.errors == ()
    assert decision.reason == (
        DENIED_BOB + "`bob@corp.com` is not a requestor of any flow covering `pg-prod/payments`: "
        "you are not in group `engineering`"
    )


def test_a_named_user_is_a_requestor_and_no_one_else_is() -> None:
    flow = replace(DB_READERS, requestor_groups=(), requestor_users=("bob@corp.com",))
    flows = PolicyEngine([flow])
    assert flows.decide(_ask(BOB)).allowed
    assert not flows.decide(_ask(ALICE)).allowed


_NEAREST = "no access flow lets `alice@corp.com` request `pg-prod/payments`: the nearest flow "


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            {"trigger": "link"},
            "`db-readers` takes requests through the portal only, not `link`",
        ),
        ({"permissions": ()}, "`db-readers` needs at least one permission (offered: read)"),
        (
            {"permissions": ("read", "write")},
            "`db-readers` does not offer permission `write` (offered: read)",
        ),
        (
            {"permissions": ("write", "admin")},
            "`db-readers` does not offer permissions `write`, `admin` (offered: read)",
        ),
        ({"minutes": 0}, "`db-readers` needs at least 1 minute; you asked for 0"),
        (
            {"minutes": 480},
            "`db-readers` allows at most 240 minutes; you asked for 480",
        ),
        ({"justification": ""}, "`db-readers` needs a justification"),
        ({"justification": " \t\n"}, "`db-readers` needs a justification"),
    ],
)
def test_each_failed_condition_is_named_in_the_reason(
    change: dict[str, object], reason: str
) -> None:
    decision = PolicyEngine([DB_READERS]).decide(_ask(**change))  # type: ignore[arg-type]
    assert not decision.allowed
    assert decision.reason == _NEAREST + reason


def test_a_disabled_flow_allows_nothing() -> None:
    decision = PolicyEngine([replace(DB_READERS, enabled=False)]).decide(_ask())
    assert not decision.allowed
    assert decision.reason == _NEAREST + "`db-readers` is disabled; an admin can enable it"


def test_no_flows_means_deny() -> None:
    decision = PolicyEngine().decide(_ask())
    assert not decision.allowed
    assert decision.reason == "no access flow covers `pg-prod/payments`"


def test_flows_for_other_resources_do_not_cover_this_one() -> None:
    other = replace(DB_READERS, integrations=("s3",), resources=("pg-prod/orders",))
    assert PolicyEngine([other]).decide(_ask()).reason == (
        "no access flow covers `pg-prod/payments`"
    )


def test_the_maximum_duration_is_allowed_and_one_minute_more_is_not() -> None:
    flows = PolicyEngine([DB_READERS])
    assert flows.decide(_ask(minutes=240)).allowed
    decision = flows.decide(_ask(minutes=241))
    assert not decision.allowed
    assert decision.reason.endswith("allows at most 240 minutes; you asked for 241")


def test_a_resource_is_reached_through_its_ancestors() -> None:
    """A flow on an integration or a parent resource covers what lies beneath it."""
    assert PolicyEngine([DB_READERS]).decide(_ask(resource=LEDGER)).allowed
    on_parent = replace(DB_READERS, integrations=(), resources=("pg-prod/payments",))
    assert PolicyEngine([on_parent]).decide(_ask(resource=LEDGER)).allowed
    on_sibling = replace(DB_READERS, integrations=(), resources=("pg-prod/orders",))
    assert not PolicyEngine([on_sibling]).decide(_ask(resource=LEDGER)).allowed


def test_an_integration_itself_can_be_requested() -> None:
    integration = Resource("pg-prod", kind="Integration", tags=frozenset({"prod"}))
    assert PolicyEngine([DB_READERS]).decide(_ask(resource=integration)).allowed


def test_the_nearest_flow_is_the_one_that_got_furthest() -> None:
    """bob fails sales-only's duration limit, which is further than db-readers' requestors."""
    sales = replace(DB_READERS, key="sales-only", requestor_groups=("sales",))
    sales = replace(sales, max_duration_minutes=30)
    decision = PolicyEngine([DB_READERS, sales]).decide(_ask(BOB, minutes=60))
    assert decision.reason == (
        DENIED_BOB + "the nearest flow `sales-only` allows at most 30 minutes; you asked for 60"
    )


def test_an_external_user_gets_only_what_a_link_flow_for_everyone_offers() -> None:
    guest = Principal("vendor@example.org", "vendor@example.org", kind="ExternalUser")
    link = replace(DB_READERS, key="vendor-link", everyone=True, trigger="link")
    flows = PolicyEngine([DB_READERS, link])
    assert flows.decide(_ask(guest, trigger="link")).flow_keys == ("vendor-link",)
    portal_only = PolicyEngine([DB_READERS]).decide(_ask(guest))
    assert "is not a requestor of any flow" in portal_only.reason


def test_keys_with_quotes_and_backslashes_decide_correctly() -> None:
    flow = replace(DB_READERS, requestor_groups=('eng"ineering\\',), resources=('pg/"x"',))
    member = _user("alice@corp.com", 'eng"ineering\\')
    resource = Resource('pg/"x"', ancestors=(("Integration", "pg"),))
    flows = PolicyEngine([flow])
    assert flows.decide(_ask(member, resource)).allowed
    assert not flows.decide(_ask(ALICE, resource)).allowed


def test_upsert_adds_then_edits_a_flow() -> None:
    flows = PolicyEngine([DB_READERS])
    assert not flows.decide(_ask(BOB)).allowed
    flows.upsert_flow(replace(DB_READERS, key="sales", requestor_groups=("sales",)))
    assert flows.decide(_ask(BOB)).flow_keys == ("sales",)
    assert flows.decide(_ask()).flow_keys == ("db-readers",)
    flows.upsert_flow(replace(DB_READERS, max_duration_minutes=30))
    assert not flows.decide(_ask()).allowed
    assert flows.decide(_ask(BOB)).policy_ids == ("flow:sales:0",)


def test_a_flow_edit_that_fails_validation_leaves_the_running_policies_working() -> None:
    schema = cedarpy.Schema.from_str(schema_text().replace("justification:", "justification?:"))
    lenient = replace(DB_READERS, justification_required=False)
    flows = PolicyEngine([lenient], schema=schema)
    with pytest.raises(FlowInvalid, match="does not fit the policy schema"):
        flows.upsert_flow(replace(lenient, justification_required=True, max_duration_minutes=5))
    with pytest.raises(FlowInvalid, match="needs a name"):
        flows.upsert_flow(replace(lenient, name=" "))
    assert flows.flows == {"db-readers": lenient}
    assert flows.decide(_ask(minutes=60, justification="")).allowed


def test_set_flows_with_one_bad_flow_changes_nothing() -> None:
    flows = PolicyEngine([DB_READERS])
    with pytest.raises(FlowInvalid, match="needs a name"):
        flows.set_flows([replace(DB_READERS, key="other"), replace(DB_READERS, name="")])
    with pytest.raises(FlowInvalid, match="`db-readers` is used by more than one flow"):
        flows.set_flows([DB_READERS, DB_READERS])
    assert list(flows.flows) == ["db-readers"]
    assert flows.decide(_ask()).allowed


def test_a_removed_flow_allows_nothing_and_an_unknown_one_cannot_be_removed() -> None:
    flows = PolicyEngine([DB_READERS])
    flows.remove_flow("db-readers")
    assert not flows.decide(_ask()).allowed
    assert flows.policy_text() == ""
    with pytest.raises(UnknownFlow, match="no access flow `db-readers` is loaded"):
        flows.remove_flow("db-readers")


def test_an_erroring_policy_never_allows_and_its_error_names_its_id(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Cedar skips a policy that errors; the engine reports it by @id, not `policy1`."""
    overflowing = CompiledFlow(
        "overflow",
        ("flow:overflow:0",),
        '@id("flow:overflow:0") @flow("overflow") permit (principal, '
        'action == Action::"request", resource) '
        "when { context.duration_minutes + 9223372036854775807 > 0 };\n",
    )
    real_compile = compiler.compile_flow
    monkeypatch.setattr(
        engine,
        "compile_flow",
        lambda flow, schema: overflowing if flow.key == "overflow" else real_compile(flow, schema),
    )
    flows = PolicyEngine([replace(DB_READERS, requestor_groups=("nobody",))])
    flows.upsert_flow(replace(DB_READERS, key="overflow"))
    decision = flows.decide(_ask())
    assert not decision.allowed
    assert decision.errors == (
        "error while evaluating policy `flow:overflow:0`: integer overflow while attempting "
        "to add the values `60` and `9223372036854775807`",
    )


def test_a_request_cedar_cannot_read_is_denied_with_the_error() -> None:
    """A lone surrogate cannot cross into Cedar; that must deny, not raise or allow."""
    decision = PolicyEngine([DB_READERS]).decide(_ask(_user("\ud800", "engineering")))
    assert not decision.allowed
    assert decision.errors
    assert decision.reason.startswith("the policy engine could not evaluate `\ud800`")


def test_the_loaded_policy_text_is_every_compiled_flow_in_order() -> None:
    sales = replace(DB_READERS, key="sales", requestor_groups=("sales",))
    flows = PolicyEngine([DB_READERS, sales])
    assert flows.policy_text() == (
        compiler.compile_flow(DB_READERS).text + "\n" + compiler.compile_flow(sales).text
    )
