"""policies.compiler: access flows become validated Cedar policies."""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Any

import cedarpy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policies.compiler import compile_flow, default_schema, schema_text
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


def _scopes(text: str) -> list[Any]:
    """Each policy's principal scope, resource scope and annotations, as Cedar parsed them."""
    parsed = cedarpy.PolicySet.from_str(text).to_pst().static_policies.values()
    return [(p.principal, p.resource, dict(p.annotations)) for p in parsed]


def test_a_flow_compiles_to_the_documented_cedar_text() -> None:
    """One requestor group and one integration: the scope says it all, `when` the rest."""
    compiled = compile_flow(DB_READERS)
    assert compiled.key == "db-readers"
    assert compiled.policy_ids == ("flow:db-readers:0",)
    assert compiled.text == (
        '@id("flow:db-readers:0")\n'
        '@flow("db-readers")\n'
        "permit (\n"
        '  principal in Group::"engineering",\n'
        '  action == Action::"request",\n'
        '  resource in Integration::"pg-prod"\n'
        ") when {\n"
        "  !(context has beneficiary) &&\n"
        '  context.trigger == "portal" &&\n'
        "  !context.permissions.isEmpty() &&\n"
        '  ["read"].containsAll(context.permissions) &&\n'
        "  context.duration_minutes >= 1 &&\n"
        "  context.duration_minutes <= 240 &&\n"
        '  context.justification != ""\n'
        "};\n"
    )


def test_each_target_gets_its_own_policy_with_id_and_flow_annotations() -> None:
    """Integrations first, then resources, repeats dropped; ids count up from 0."""
    flow = AccessFlow(
        key="ops",
        name="Ops",
        requestor_users=("alice@corp.com",),
        integrations=("pg-prod", "pg-prod"),
        resources=("s3/logs",),
    )
    compiled = compile_flow(flow)
    assert compiled.policy_ids == ("flow:ops:0", "flow:ops:1")
    assert compiled.targets == (("Integration", "pg-prod"), ("Resource", "s3/logs"))
    annotations = [a for _, _, a in _scopes(compiled.text)]
    assert annotations == [
        {"id": "flow:ops:0", "flow": "ops"},
        {"id": "flow:ops:1", "flow": "ops"},
    ]
    assert 'principal == User::"alice@corp.com",' in compiled.text


def test_several_requestors_move_from_the_scope_into_the_when_clause() -> None:
    """Cedar's scope holds one entity, and a set literal one entity type."""
    flow = AccessFlow(
        key="mixed",
        name="Mixed",
        requestor_groups=("eng", "ops"),
        requestor_users=("carol@corp.com",),
        resources=("pg-prod/payments",),
    )
    text = compile_flow(flow).text
    assert "  principal,\n" in text
    assert (
        '(principal in [Group::"eng", Group::"ops"] || principal in [User::"carol@corp.com"]) &&'
        in text
    )


def test_everyone_leaves_the_principal_unconstrained() -> None:
    flow = AccessFlow(
        key="all", name="All", everyone=True, requestor_groups=("eng",), integrations=("wiki",)
    )
    text = compile_flow(flow).text
    assert "  principal,\n" in text
    assert "eng" not in text


def test_a_disabled_flow_compiles_to_no_policies() -> None:
    compiled = compile_flow(replace(DB_READERS, enabled=False))
    assert compiled.policy_ids == ()
    assert compiled.text == ""


def test_a_flow_that_fails_its_own_check_is_refused() -> None:
    with pytest.raises(FlowInvalid, match="names no requestors"):
        compile_flow(AccessFlow(key="empty", name="Empty", integrations=("pg-prod",)))


_REQUESTORS: list[dict[str, Any]] = [
    {"everyone": True},
    {"requestor_users": ("alice@corp.com",)},
    {"requestor_groups": ("eng",)},
    {"requestor_groups": ("eng", "ops")},
    {"requestor_groups": ("eng",), "requestor_users": ("alice@corp.com", "bob@corp.com")},
]
_TARGETS: list[dict[str, Any]] = [
    {"integrations": ("pg-prod",)},
    {"resources": ("pg-prod/payments",)},
    {"integrations": ("pg-prod", "s3"), "resources": ("pg-prod/payments",)},
]
_COMBINATIONS = list(
    itertools.product(
        _REQUESTORS, _TARGETS, ("portal", "link"), (False, True), (("read",), ("read", "write"))
    )
)


@pytest.mark.parametrize(("requestors", "targets", "trigger", "justify", "perms"), _COMBINATIONS)
def test_every_option_combination_validates_against_the_schema(
    requestors: dict[str, Any],
    targets: dict[str, Any],
    trigger: str,
    justify: bool,
    perms: tuple[str, ...],
) -> None:
    """compile_flow validates; this checks again, independently, with the packaged schema."""
    flow = AccessFlow(
        key="combo",
        name="Combo",
        trigger=trigger,
        justification_required=justify,
        permissions=perms,
        **requestors,
        **targets,
    )
    compiled = compile_flow(flow)
    assert len(compiled.policy_ids) == len(compiled.targets) > 0
    result = cedarpy.validate_policies(compiled.text, schema_text())
    assert result.validation_passed, result.errors


def test_keys_with_quotes_backslashes_and_control_characters_are_escaped() -> None:
    """Every key arrives in Cedar exactly as the admin wrote it."""
    flow = AccessFlow(
        key="odd",
        name="Odd",
        requestor_groups=('eng"ineering',),
        resources=('pg/"x"\\y\n\x00\u2028',),
        permissions=('re"ad',),
    )
    compiled = compile_flow(flow)
    assert 'Resource::"pg/\\"x\\"\\\\y\\n\\u{0}\\u{2028}"' in compiled.text
    [(principal, resource, _)] = _scopes(compiled.text)
    assert principal.entity.id == 'eng"ineering'
    assert resource.entity.id == 'pg/"x"\\y\n\x00\u2028'
    assert '["re\\"ad"].containsAll' in compiled.text


@settings(max_examples=200, deadline=None)
@given(group=st.text(max_size=20), resource=st.text(max_size=20))
def test_any_key_round_trips_through_the_cedar_text(group: str, resource: str) -> None:
    flow = AccessFlow(key="f", name="F", requestor_groups=(group,), resources=(resource,))
    [(principal, parsed_resource, _)] = _scopes(compile_flow(flow).text)
    assert (principal.entity.id, parsed_resource.entity.id) == (group, resource)


def test_a_key_cedar_cannot_hold_is_refused_as_an_invalid_flow() -> None:
    """A lone surrogate is no Unicode scalar value; it must not crash or slip through."""
    flow = AccessFlow(key="bad", name="Bad", requestor_groups=("\ud800",), resources=("r",))
    with pytest.raises(FlowInvalid, match=r"^flow `bad` "):
        compile_flow(flow)


def test_a_schema_finding_is_raised_as_flow_invalid_in_the_flows_terms() -> None:
    """Validation runs at compile time and names the flow and the target it concerns."""
    optional_justification = cedarpy.Schema.from_str(
        schema_text().replace("justification:", "justification?:")
    )
    compile_flow(replace(DB_READERS, justification_required=False), optional_justification)
    with pytest.raises(FlowInvalid) as raised:
        compile_flow(DB_READERS, optional_justification)
    assert str(raised.value) == (
        "flow `db-readers` does not fit the policy schema for integration `pg-prod`: "
        "unable to guarantee safety of access to optional attribute `justification` in context "
        'for Action::"request"'
    )


def test_the_packaged_schema_declares_the_keyturn_entities_and_request() -> None:
    rendered = str(default_schema())
    for declaration in (
        "entity Group in [Group]",
        "entity User in [Group]",
        "entity ExternalUser",
        "entity Bundle",
        "entity Integration in [Bundle]",
        "entity Resource in [Resource, Integration, Bundle]",
        "entity AccessFlow",
        'action "request"',
    ):
        assert declaration in rendered


_NEW_TARGETS: list[dict[str, Any]] = [
    {"resource_types": ("postgres", "s3")},
    {"tags": ("pci", "pii")},
    {"integrations": ("pg-prod",), "tags": ("pci",), "exclude_tags": ("dev",)},
    {"resource_types": ("postgres",), "exclude_resources": ("pg-prod/a", "pg-prod/b")},
]
_NEW_REQUESTORS: list[dict[str, Any]] = [
    {"external": True, "trigger": "link"},
    {"external": True, "trigger": "link", "requestor_groups": ("eng",)},
    {"requestor_users": ("alice@corp.com",)},
]
_WINDOWS: list[dict[str, Any]] = [
    {},
    {"window_days": ("sat",), "window_start": "00:00", "window_end": "24:00", "time_zone": "UTC"},
    {"window_start": "09:00", "window_end": "17:30", "time_zone": "Asia/Kolkata"},
]


@pytest.mark.parametrize(
    ("requestors", "targets", "window"),
    list(itertools.product(_NEW_REQUESTORS, _NEW_TARGETS, _WINDOWS)),
)
def test_every_new_option_combination_validates_against_the_schema(
    requestors: dict[str, Any], targets: dict[str, Any], window: dict[str, Any]
) -> None:
    flow = AccessFlow(key="combo", name="Combo", **requestors, **targets, **window)
    compiled = compile_flow(flow)
    assert len(compiled.policy_ids) == len(compiled.targets) > 0
    assert compiled.zones == ((window["time_zone"],) if window else ())
    assert cedarpy.validate_policies(compiled.text, schema_text()).validation_passed


def test_new_options_compile_to_the_documented_conditions() -> None:
    """External requesters by link, a type target filtered by tags, an exclusion, a window."""
    flow = AccessFlow(
        key="guests",
        name="Guests",
        external=True,
        trigger="link",
        resource_types=("postgres",),
        tags=("vendor",),
        exclude_resources=("pg-prod/payments",),
        window_days=("mon", "tue", "wed"),
        window_start="09:00",
        window_end="18:00",
        time_zone="Europe/Berlin",
    )
    text = compile_flow(flow).text
    assert "  principal is ExternalUser,\n" in text
    assert "  resource\n) when {\n" in text
    assert 'resource has type && resource.type == "postgres" &&\n' in text
    assert 'resource has tags && resource.tags.containsAny(["vendor"]) &&\n' in text
    assert '!(resource in [Resource::"pg-prod/payments"]) &&\n' in text
    assert (
        '(["mon", "tue", "wed"].contains(TimeZone::"Europe/Berlin".weekday) && '
        'TimeZone::"Europe/Berlin".minute >= 540 && TimeZone::"Europe/Berlin".minute < 1080)'
    ) in text
