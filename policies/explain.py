"""Why a request was denied, in words, computed from the flows that cover the resource.

A deny has no determining policy to point at, so the explanation reads the flows: the
conditions are judged in the order below, and the nearest flow is the covering flow that
gets furthest before failing (ties go to the first key).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from policies.compiler import CompiledFlow
from policies.entities import DecisionRequest, Principal, Resource
from policies.flows import AccessFlow
from policies.forbid import ForbidRule

_TRIGGER_PLACES = {"portal": "the portal", "link": "an access link"}


def explain_deny(
    request: DecisionRequest, flows: Iterable[AccessFlow], errors: tuple[str, ...]
) -> str:
    """The reason for a deny; `flows` may hold more than the covering ones."""
    principal, resource = request.principal, request.resource
    covering = sorted((f for f in flows if covers(f, resource)), key=lambda f: f.key)
    if not covering:
        return f"no access flow covers `{resource.key}`"
    groups = principal.all_groups()
    judged = [_first_failure(flow, request, groups) for flow in covering]
    stage, failure = max(judged, key=lambda judgement: judgement[0])
    if stage == 0:
        failure = (
            f"`{principal.key}` is not a requestor of any flow covering `{resource.key}`"
            f"{_requestor_hint(covering[0], principal)}"
        )
    elif failure is None:  # Cedar and this reading disagree: say so rather than guess
        failure = "a flow matches but its policy did not allow the request"
        if errors:
            failure += f" ({'; '.join(errors)})"
    return f"no access flow lets `{principal.key}` request `{resource.key}`: {failure}"


def explain_forbid(
    request: DecisionRequest,
    rules: Mapping[str, ForbidRule],
    compiled: Mapping[str, CompiledFlow],
    policy_ids: tuple[str, ...],
) -> str:
    """The reason for a deny that forbid rules decided (`policy_ids`, `forbid:<key>:<n>`)."""
    reasons = []
    for policy_id in policy_ids:
        key = policy_id.split(":")[1]
        rule, rule_policies = rules[key], compiled[key]
        target = rule_policies.targets[rule_policies.policy_ids.index(policy_id)]
        reasons.append(rule.describe(target))
    who, what = request.principal.key, request.resource.key
    return f"`{who}` may not request `{what}`: {'; '.join(dict.fromkeys(reasons))}"


def covers(flow: AccessFlow, resource: Resource) -> bool:
    """True when the flow offers the resource (enabled or not), exclusions aside."""
    for kind, key in ((resource.kind, resource.key), *resource.ancestors):
        if key in (flow.integrations if kind == "Integration" else flow.resources):
            return True
    if resource.type and resource.type in flow.resource_types:
        return True
    targets_by_tag = not (flow.integrations or flow.resources or flow.resource_types)
    return targets_by_tag and not resource.tags.isdisjoint(flow.tags)


def _is_requestor(flow: AccessFlow, principal: Principal, groups: frozenset[str]) -> bool:
    if flow.everyone:
        return True
    if principal.kind != "User":  # named requestors are users and groups of users
        return flow.external
    return principal.key in flow.requestor_users or not groups.isdisjoint(flow.requestor_groups)


def _requestor_hint(flow: AccessFlow, principal: Principal) -> str:
    """Why `principal` is not a requestor of `flow`, in words (after a colon)."""
    if principal.kind != "User":
        return f": `{flow.key}` does not admit external requesters"
    groups = ", ".join(f"`{g}`" for g in flow.requestor_groups)
    if len(flow.requestor_groups) == 1:
        return f": you are not in group {groups}"
    if flow.requestor_groups:
        return f": you are in none of the groups {groups}"
    return f": `{flow.key}` is for named people only"


def _outside(flow: AccessFlow, request: DecisionRequest) -> str:
    """Why the resource falls outside the flow's tag filter or exclusions; "" if it does not."""
    resource = request.resource
    chain = {
        key
        for kind, key in ((resource.kind, resource.key), *resource.ancestors)
        if kind == "Resource"
    }
    excluded = [key for key in flow.exclude_resources if key in chain]
    if excluded:
        return f"the nearest flow `{flow.key}` excludes `{excluded[0]}`"
    tagged = [tag for tag in flow.exclude_tags if tag in resource.tags]
    if tagged:
        return f"the nearest flow `{flow.key}` excludes resources tagged `{tagged[0]}`"
    if flow.tags and resource.tags.isdisjoint(flow.tags):
        wanted = " or ".join(f"`{tag}`" for tag in flow.tags)
        return f"the nearest flow `{flow.key}` offers only resources tagged {wanted}"
    return ""


def _first_failure(
    flow: AccessFlow, request: DecisionRequest, groups: frozenset[str]
) -> tuple[int, str | None]:
    """The index of the first condition the flow fails and why; past the last if none."""
    ctx = request.context
    nearest = f"the nearest flow `{flow.key}`"
    offered = ", ".join(flow.permissions)
    missing = [p for p in dict.fromkeys(ctx.permissions) if p not in flow.permissions]
    outside = _outside(flow, request)
    window = flow.window
    checks: list[tuple[bool, str]] = [
        (_is_requestor(flow, request.principal, groups), ""),
        (not outside, outside),
        (
            ctx.trigger == flow.trigger,
            f"{nearest} takes requests through "
            f"{_TRIGGER_PLACES.get(flow.trigger, flow.trigger)} only, not `{ctx.trigger}`",
        ),
        (bool(ctx.permissions), f"{nearest} needs at least one permission (offered: {offered})"),
        (
            not missing,
            f"{nearest} does not offer permission{'s' if len(missing) > 1 else ''} "
            + ", ".join(f"`{p}`" for p in missing)
            + f" (offered: {offered})",
        ),
        (
            ctx.duration_minutes >= 1,
            f"{nearest} needs at least 1 minute; you asked for {ctx.duration_minutes}",
        ),
        (
            ctx.duration_minutes <= flow.max_duration_minutes,
            f"{nearest} allows at most {flow.max_duration_minutes} minutes; "
            f"you asked for {ctx.duration_minutes}",
        ),
        (
            bool(ctx.justification.strip()) or not flow.justification_required,
            f"{nearest} needs a justification",
        ),
        (
            window is None or window.is_open(ctx.now),
            f"{nearest} is open only {window.describe() if window else ''}",
        ),
        (flow.enabled, f"{nearest} is disabled; an admin can enable it"),
    ]
    for stage, (passed, failure) in enumerate(checks):
        if not passed:
            return stage, failure
    return len(checks), None
