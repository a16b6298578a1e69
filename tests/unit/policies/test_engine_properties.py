"""The engine's Cedar decisions agree with a plain reading of what the flows say."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from policies.engine import PolicyEngine
from policies.entities import DecisionRequest, Principal, RequestContext, Resource
from policies.flows import AccessFlow

USERS = ("alice@corp.com", "bob@corp.com", "carol@corp.com")
GROUPS = ("eng", "ops", "sec")
# eng and ops sit inside staff, so a flow for staff needs Cedar to follow the nesting.
GROUP_PARENTS = {"eng": ("staff",), "ops": ("staff",)}
RESOURCES = (
    Resource("pg", kind="Integration"),
    Resource("pg/db1", ancestors=(("Integration", "pg"),)),
    Resource("pg/db1/t", ancestors=(("Resource", "pg/db1"), ("Integration", "pg"))),
    Resource("s3", kind="Integration"),
    Resource("s3/b", ancestors=(("Integration", "s3"),), tags=frozenset({"pii"})),
)
PERMISSIONS = ("read", "write", "admin")
TRIGGERS = ("portal", "link")


def _subset(values: tuple[str, ...], min_size: int = 0) -> st.SearchStrategy[tuple[str, ...]]:
    return st.lists(
        st.sampled_from(values), min_size=min_size, max_size=len(values), unique=True
    ).map(tuple)


@st.composite
def _flow(draw: st.DrawFn, key: str) -> AccessFlow:
    everyone = draw(st.booleans())
    users = draw(_subset(USERS))
    groups = draw(_subset((*GROUPS, "staff")))
    if not (everyone or users or groups):
        groups = ("eng",)
    integrations = draw(_subset(("pg", "s3")))
    resources = draw(_subset(("pg/db1", "pg/db1/t", "s3/b")))
    if not (integrations or resources):
        resources = ("pg/db1",)
    return AccessFlow(
        key=key,
        name=key,
        requestor_users=users,
        requestor_groups=groups,
        everyone=everyone,
        integrations=integrations,
        resources=resources,
        permissions=draw(_subset(PERMISSIONS, min_size=1)),
        max_duration_minutes=draw(st.integers(1, 600)),
        justification_required=draw(st.booleans()),
        trigger=draw(st.sampled_from(TRIGGERS)),
        enabled=draw(st.integers(0, 4)) > 0,
    )


@st.composite
def _flows(draw: st.DrawFn) -> list[AccessFlow]:
    return [draw(_flow(f"f{n}")) for n in range(draw(st.integers(0, 4)))]


_EXTERNAL = Principal("guest@example.org", "guest@example.org", kind="ExternalUser")
_principals = st.one_of(
    st.builds(
        lambda key, groups: Principal(
            key, key, groups=frozenset(groups), group_parents=GROUP_PARENTS
        ),
        st.sampled_from(USERS),
        _subset(GROUPS),
    ),
    st.just(_EXTERNAL),
)
_contexts = st.builds(
    RequestContext,
    st.sampled_from(TRIGGERS),
    _subset(PERMISSIONS),
    st.integers(-5, 700),
    st.sampled_from(("", "  ", "on call")),
)
_requests = st.builds(DecisionRequest, _principals, st.sampled_from(RESOURCES), _contexts)


@st.composite
def _near_request(draw: st.DrawFn, flow: AccessFlow) -> DecisionRequest:
    """A request that meets `flow`, then has one or two of its parts redrawn at random:
    uniform requests would almost never be allowed, so the boundaries would go untested."""
    members = [Principal(user, user, group_parents=GROUP_PARENTS) for user in flow.requestor_users]
    members += [
        Principal(
            "alice@corp.com", "alice@corp.com", groups=frozenset({g}), group_parents=GROUP_PARENTS
        )
        for g in flow.requestor_groups
        if g in GROUPS
    ]
    if "staff" in flow.requestor_groups:  # only reachable through the nesting
        members.append(
            Principal(
                "bob@corp.com",
                "bob@corp.com",
                groups=frozenset({"ops"}),
                group_parents=GROUP_PARENTS,
            )
        )
    if flow.everyone:
        members.append(_EXTERNAL)
    covered = [
        r
        for r in RESOURCES
        if any(
            key in (*flow.integrations, *flow.resources)
            for _, key in ((r.kind, r.key), *r.ancestors)
        )
    ]
    limit = flow.max_duration_minutes
    request = DecisionRequest(
        draw(st.sampled_from(members)) if members else draw(_principals),
        draw(st.sampled_from(covered)),
        RequestContext(
            flow.trigger,
            draw(_subset(flow.permissions, min_size=1)),
            draw(st.sampled_from((1, limit - 1, limit, limit + 1))),
            "on call",
        ),
    )
    for _ in range(draw(st.integers(0, 2))):
        part = draw(st.sampled_from(("principal", "resource", "context")))
        if part == "principal":
            request = replace(request, principal=draw(_principals))
        elif part == "resource":
            request = replace(request, resource=draw(st.sampled_from(RESOURCES)))
        else:
            request = replace(request, context=draw(_contexts))
    return request


@st.composite
def _flows_and_requests(draw: st.DrawFn) -> tuple[list[AccessFlow], list[DecisionRequest]]:
    flows = draw(_flows())
    near = [_near_request(flow) for flow in flows]
    requests = draw(st.lists(st.one_of(_requests, *near), min_size=1, max_size=6))
    return flows, requests


def _allowing_flows(flows: list[AccessFlow], request: DecisionRequest) -> set[str]:
    """The flows that allow the request, read straight from their fields."""
    principal, resource, ctx = request.principal, request.resource, request.context
    groups = set(principal.groups)
    for group in principal.groups:
        groups.update(GROUP_PARENTS.get(group, ()))
    chain = [(resource.kind, resource.key), *resource.ancestors]
    allowing = set()
    for flow in flows:
        covered = any(
            (kind == "Integration" and key in flow.integrations)
            or (kind == "Resource" and key in flow.resources)
            for kind, key in chain
        )
        requestor = flow.everyone or (
            principal.kind == "User"
            and (principal.key in flow.requestor_users or bool(groups & set(flow.requestor_groups)))
        )
        if (
            flow.enabled
            and covered
            and requestor
            and ctx.trigger == flow.trigger
            and ctx.permissions
            and set(ctx.permissions) <= set(flow.permissions)
            and 1 <= ctx.duration_minutes <= flow.max_duration_minutes
            and (ctx.justification.strip() or not flow.justification_required)
        ):
            allowing.add(flow.key)
    return allowing


@settings(max_examples=300, deadline=None)
@given(_flows_and_requests())
def test_the_engine_allows_exactly_what_the_flows_say(
    case: tuple[list[AccessFlow], list[DecisionRequest]],
) -> None:
    flows, requests = case
    policy_engine = PolicyEngine(flows)
    for request in requests:
        decision = policy_engine.decide(request)
        expected = _allowing_flows(flows, request)
        assert decision.allowed == bool(expected)
        assert set(decision.flow_keys) == expected
        assert decision.errors == ()
        if decision.allowed:
            assert decision.reason == ""
        else:
            assert decision.reason.startswith("no access flow ")
            assert "matches but its policy did not allow" not in decision.reason
