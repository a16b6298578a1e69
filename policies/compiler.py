"""Access flow -> Cedar policies, validated against the Keyturn schema as they are made.

A flow becomes one `permit` per thing it lets people request (an integration or a
resource), so the policy set can later be sliced by resource scope. Cedar's scope takes a
single entity, so a flow with several requestors lists them in the `when` clause instead.
A disabled flow compiles to no policies at all: it allows nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

import cedarpy

from policies.flows import AccessFlow, FlowInvalid

SCHEMA_FILE = "keyturn.cedarschema"


@dataclass(frozen=True)
class CompiledFlow:
    """The Cedar text of one flow and the `@id` of each policy in it, in order."""

    key: str
    policy_ids: tuple[str, ...]
    text: str
    # What each policy lets people request, as (kind, key), parallel to policy_ids.
    targets: tuple[tuple[str, str], ...] = ()
    # Each policy's own text, parallel to policy_ids: the engine files them by target.
    texts: tuple[str, ...] = ()
    # The time zones the policies read (`TimeZone::"..."` entities the engine must send).
    zones: tuple[str, ...] = ()
    # The groups the policies mention; None when not known (then every group is sent).
    groups: tuple[str, ...] | None = None


@cache
def schema_text() -> str:
    return files("policies").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")


@cache
def default_schema() -> cedarpy.Schema:
    """The packaged schema, parsed once per process."""
    return cedarpy.Schema.from_str(schema_text())


def compile_flow(flow: AccessFlow, schema: cedarpy.Schema | None = None) -> CompiledFlow:
    """Compile and validate one flow; raise FlowInvalid saying what to change."""
    flow.check()
    if not flow.enabled:
        return CompiledFlow(flow.key, (), "")
    targets = flow_targets(flow)
    policy_ids = tuple(f"flow:{flow.key}:{n}" for n in range(len(targets)))
    texts = tuple(
        _policy(flow, policy_id, target)
        for policy_id, target in zip(policy_ids, targets, strict=True)
    )
    window = flow.window
    zones = (window.zone,) if window is not None else ()
    text = "\n\n".join(texts) + "\n"
    groups = tuple(dict.fromkeys(flow.requestor_groups))
    compiled = CompiledFlow(flow.key, policy_ids, text, targets, texts, zones, groups)
    validate(compiled, default_schema() if schema is None else schema, f"flow `{flow.key}`")
    return compiled


def cedar_string(value: str) -> str:
    """`value` as a Cedar string literal, quotes included."""
    return '"' + "".join(_escape_char(char) for char in value) + '"'


def cedar_entity(kind: str, key: str) -> str:
    return f"{kind}::{cedar_string(key)}"


_SHORT_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_char(char: str) -> str:
    # Anything unprintable goes out as \u{...} so the audited text shows what it matches.
    if char in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[char]
    return char if char.isprintable() else f"\\u{{{ord(char):x}}}"


def flow_targets(flow: AccessFlow) -> tuple[tuple[str, str], ...]:
    """What the flow lets people request, as (kind, key), one policy each: integrations,
    resources, resource types (`type`), bundles, or, when it names none of those, tags
    (`tag`)."""
    wanted = [("Integration", key) for key in flow.integrations]
    wanted += [("Resource", key) for key in flow.resources]
    wanted += [("type", key) for key in flow.resource_types]
    wanted += [("Bundle", key) for key in flow.bundles]
    if not wanted:
        wanted = [("tag", key) for key in flow.tags]
    return tuple(dict.fromkeys(wanted))  # drop repeats, keep the admin's order


def resource_scope(target: tuple[str, str]) -> tuple[str, str]:
    """The resource scope for a target and the condition it needs, if any."""
    kind, key = target
    if kind == "type":
        return "resource", f"resource has type && resource.type == {cedar_string(key)}"
    if kind == "tag":
        return "resource", f"resource has tags && resource.tags.contains({cedar_string(key)})"
    return f"resource in {cedar_entity(kind, key)}", ""


def _target_conditions(flow: AccessFlow, target: tuple[str, str]) -> list[str]:
    scope_condition = resource_scope(target)[1]
    conditions = [scope_condition] if scope_condition else []
    if flow.tags and target[0] != "tag":
        conditions.append(
            f"resource has tags && resource.tags.containsAny({_string_set(flow.tags)})"
        )
    if flow.exclude_resources:
        excluded = ", ".join(
            cedar_entity("Resource", key) for key in dict.fromkeys(flow.exclude_resources)
        )
        conditions.append(f"!(resource in [{excluded}])")
    if flow.exclude_tags:
        conditions.append(
            f"!(resource has tags && resource.tags.containsAny({_string_set(flow.exclude_tags)}))"
        )
    return conditions


def _policy(flow: AccessFlow, policy_id: str, target: tuple[str, str]) -> str:
    principal_scope, requestor_condition = _requestors(flow)
    conditions = _target_conditions(flow, target)
    conditions += [c for c in (requestor_condition, _beneficiary(flow)) if c]
    conditions += [
        f"context.trigger == {cedar_string(flow.trigger)}",
        "!context.permissions.isEmpty()",
        f"{_string_set(flow.permissions)}.containsAll(context.permissions)",
        "context.duration_minutes >= 1",
        f"context.duration_minutes <= {flow.max_duration_minutes}",
    ]
    if flow.justification_required:
        conditions.append('context.justification != ""')
    window = flow.window
    if window is not None:
        conditions.append(window.cedar())
    return (
        f"@id({cedar_string(policy_id)})\n"
        f"@flow({cedar_string(flow.key)})\n"
        "permit (\n"
        f"  {principal_scope},\n"
        '  action == Action::"request",\n'
        f"  {resource_scope(target)[0]}\n"
        ") when {\n  " + " &&\n  ".join(conditions) + "\n};"
    )


def _requestors(flow: AccessFlow) -> tuple[str, str]:
    """The principal scope and, when it cannot say it all, a `when` condition."""
    if flow.everyone:
        return "principal", ""
    groups = tuple(dict.fromkeys(flow.requestor_groups))
    users = tuple(dict.fromkeys(flow.requestor_users))
    if flow.external and not (groups or users):
        return "principal is ExternalUser", ""
    if len(groups) + len(users) == 1 and not flow.external:
        if groups:
            return f"principal in {cedar_entity('Group', groups[0])}", ""
        return f"principal == {cedar_entity('User', users[0])}", ""
    # Sets must hold one entity type for the validator, hence one `in` per kind.
    alternatives = [
        f"principal in [{', '.join(cedar_entity(kind, key) for key in keys)}]"
        for kind, keys in (("Group", groups), ("User", users))
        if keys
    ]
    if flow.external:
        alternatives.append("principal is ExternalUser")
    return "principal", "(" + " || ".join(alternatives) + ")"


def _beneficiary(flow: AccessFlow) -> str:
    """On whose behalf the flow lets people ask: themselves, named users, their reports."""
    allowed = ["!(context has beneficiary)"] if flow.for_self else []
    users = tuple(dict.fromkeys(flow.on_behalf_users))
    if users:
        named = ", ".join(cedar_entity("User", key) for key in users)
        allowed.append(f"(context has beneficiary && [{named}].contains(context.beneficiary))")
    if flow.on_behalf_reports:
        allowed.append("(context has beneficiary_report && context.beneficiary_report)")
    return allowed[0] if len(allowed) == 1 else "(" + " || ".join(allowed) + ")"


def _string_set(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(cedar_string(v) for v in dict.fromkeys(values)) + "]"


def validate(compiled: CompiledFlow, schema: cedarpy.Schema, what: str) -> None:
    """Raise FlowInvalid when the compiled `what` (e.g. "flow `x`") breaks the schema."""
    try:
        result = cedarpy.validate_policies(compiled.text, schema)
    except (ValueError, UnicodeError) as exc:  # text that cannot even reach the validator
        raise FlowInvalid(f"{what} cannot be compiled: {exc}") from exc
    if result.validation_passed:
        return
    finding = result.errors[0]
    policy_id = result.id_annotations_by_policy_id.get(finding.policy_id, "")
    where = ""
    if policy_id in compiled.policy_ids:
        kind, key = compiled.targets[compiled.policy_ids.index(policy_id)]
        where = f" for {kind.lower()} `{key}`"
    # Cedar names its positional id (`policy0`); that means nothing to an admin.
    message = re.sub(r"^for policy `[^`]*`, ", "", finding.error)
    raise FlowInvalid(f"{what} does not fit the policy schema{where}: {message}")
