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
_OUTSIDE = 3  # the stage at which a flow's tag filter or exclusions leave the resource out


def explain_deny(
    request: DecisionRequest,
    flows: Iterable[AccessFlow],
    errors: tuple[str, ...],
    *,
    all_cover: bool = False,
) -> str:
    """The reason for a deny; `flows` may hold more than the covering ones, unless
    `all_cover` says the caller found them by what they target (then each one covers)."""
    principal, resource = request.principal, request.resource
    if not all_cover:
        flows = (f for f in flows if covers(f, resource))
    covering = sorted(flows, key=_key)
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
    if stage > _OUTSIDE:
        # Another flow got further, but one the requester could use excludes the resource:
        # say so first, or they would chase that other flow's condition for nothing.
        excluding = [
            _excluded(flow, resource)
            for flow, (at, _) in zip(covering, judged, strict=True)
            if at == _OUTSIDE and _excluded(flow, resource)
        ]
        if excluding:
            failure = f"{excluding[0]}; {failure}"
    return f"no access flow lets `{principal.key}` request `{resource.key}`: {failure}"


def explain_reach(
    request: DecisionRequest, flow_key: str, out_of_reach: list[tuple[str, tuple[str, ...]]]
) -> str:
    """The reason for refusing a container whose grant would reach resources that flow
    `flow_key` excludes or a forbid rule closes: (key, reasons) each, a few named."""
    shown = [f"`{key}` ({'; '.join(reasons)})" for key, reasons in out_of_reach[:3]]
    more = len(out_of_reach) - len(shown)
    named = "; ".join(shown) + (f" and {more} more" if more > 0 else "")
    who, what = request.principal.key, request.resource.key
    return (
        f"flow `{flow_key}` lets `{who}` request `{what}` but not everything in it: {named}: "
        "request the resources you need one by one"
    )


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


def _key(flow: AccessFlow) -> str:
    return flow.key


def covers(flow: AccessFlow, resource: Resource) -> bool:
    """True when the flow offers the resource (enabled or not), exclusions aside."""
    for kind, key in ((resource.kind, resource.key), *resource.ancestors):
        if key in (flow.integrations if kind == "Integration" else flow.resources):
            return True
    if resource.type and resource.type in flow.resource_types:
        return True
    if not resource.bundles.isdisjoint(flow.bundles):
        return True
    targets_by_tag = not (
        flow.integrations or flow.resources or flow.resource_types or flow.bundles
    )
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


def _for_whom(flow: AccessFlow, request: DecisionRequest) -> tuple[str, str]:
    """Why the flow does not let the requester ask on this beneficiary's behalf, as two
    stages: for this kind of beneficiary (oneself or others) at all, then for this one;
    "" where it does."""
    ctx = request.context
    nearest = f"the nearest flow `{flow.key}`"
    if ctx.beneficiary is None:
        return ("" if flow.for_self else f"{nearest} is for requests on behalf of others only"), ""
    if not (flow.on_behalf_users or flow.on_behalf_reports):
        return f"{nearest} lets you request only for yourself", ""
    if ctx.beneficiary in flow.on_behalf_users or (
        flow.on_behalf_reports and ctx.beneficiary_report
    ):
        return "", ""
    if not flow.on_behalf_users:
        return "", f"`{ctx.beneficiary}` is not one of your reports ({nearest})"
    return "", f"{nearest} does not let you request for `{ctx.beneficiary}`"


def _excluded(flow: AccessFlow, resource: Resource) -> str:
    """How the flow excludes the resource ("flow `x` excludes ..."); "" if it does not."""
    chain = {
        key
        for kind, key in ((resource.kind, resource.key), *resource.ancestors)
        if kind == "Resource"
    }
    excluded = [key for key in flow.exclude_resources if key in chain]
    if excluded:
        return f"flow `{flow.key}` excludes `{excluded[0]}`"
    tagged = [tag for tag in flow.exclude_tags if tag in resource.tags]
    if tagged:
        return f"flow `{flow.key}` excludes resources tagged `{tagged[0]}`"
    return ""


def _outside(flow: AccessFlow, request: DecisionRequest) -> str:
    """Why the resource falls outside the flow's tag filter or exclusions; "" if it does not."""
    resource = request.resource
    excluded = _excluded(flow, resource)
    if excluded:
        return f"the nearest {excluded}"
    if flow.tags and resource.tags.isdisjoint(flow.tags):
        wanted = " or ".join(f"`{tag}`" for tag in flow.tags)
        return f"the nearest flow `{flow.key}` offers only resources tagged {wanted}"
    return ""


def _first_failure(
    flow: AccessFlow, request: DecisionRequest, groups: frozenset[str]
) -> tuple[int, str | None]:
    """The index of the first condition the flow fails and why; past the last if none.
    Every deny judges each covering flow, so the failure is worded only once found."""
    ctx = request.context
    if not _is_requestor(flow, request.principal, groups):
        return 0, ""
    for_kind, for_whom = _for_whom(flow, request)
    if for_kind:
        return 1, for_kind
    if for_whom:
        return 2, for_whom
    outside = _outside(flow, request)
    if outside:
        return _OUTSIDE, outside
    nearest = f"the nearest flow `{flow.key}`"
    if ctx.trigger != flow.trigger:
        place = _TRIGGER_PLACES.get(flow.trigger, flow.trigger)
        return 4, f"{nearest} takes requests through {place} only, not `{ctx.trigger}`"
    offered = ", ".join(flow.permissions)
    if not ctx.permissions:
        return 5, f"{nearest} needs at least one permission (offered: {offered})"
    missing = [p for p in dict.fromkeys(ctx.permissions) if p not in flow.permissions]
    if missing:
        named = ", ".join(f"`{p}`" for p in missing)
        plural = "s" if len(missing) > 1 else ""
        return 6, f"{nearest} does not offer permission{plural} {named} (offered: {offered})"
    asked = ctx.duration_minutes
    if asked < 1:
        return 7, f"{nearest} needs at least 1 minute; you asked for {asked}"
    if asked > flow.max_duration_minutes:
        most = flow.max_duration_minutes
        return 8, f"{nearest} allows at most {most} minutes; you asked for {asked}"
    if flow.justification_required and not ctx.justification.strip():
        return 9, f"{nearest} needs a justification"
    window = flow.window
    if window is not None and not window.is_open(ctx.now):
        return 10, f"{nearest} is open only {window.describe()}"
    if not flow.enabled:
        return 11, f"{nearest} is disabled; an admin can enable it"
    return 12, None
