"""The engine's Cedar decisions agree with a plain reading of what the flows and forbid
rules say, over random flows, identities, group nestings, resources, bundles, times,
beneficiaries and requests; and, over random hierarchies, no allowed request reaches a
resource its flow excludes or a forbid rule closes.

Each example draws at least five requests and asks each at every one of the five instants,
so the 400 examples below judge at least 10,000 generated cases (`decide` and
`decide_batch` both).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policies.engine import Decision, PolicyEngine
from policies.entities import DecisionRequest, Principal, RequestContext, Resource
from policies.flows import AccessFlow
from policies.forbid import ForbidRule
from policies.reach import MOST_NAMED, Below, Finder, Lookout, confine

USERS = ("alice@corp.com", "bob@corp.com", "carol@corp.com")
GROUPS = ("eng", "ops", "sec")
# eng and ops sit inside staff, so a flow for staff needs Cedar to follow the nesting.
GROUP_PARENTS = {"eng": ("staff",), "ops": ("staff",)}
TAGS = ("pii", "pci", "prod")
TYPES = ("postgres", "s3")
# Bundles as the graph reports them: b1 covers pg/db1, b3 (nested in b1) covers pg/db1/t,
# b2 covers the s3 integration; a resource carries every bundle of its chain.
BUNDLES = ("b1", "b2", "b3")
RESOURCES = (
    Resource("pg", kind="Integration", type="postgres"),
    Resource(
        "pg/db1",
        ancestors=(("Integration", "pg"),),
        tags=frozenset({"prod"}),
        type="postgres",
        bundles=frozenset({"b1"}),
    ),
    Resource(
        "pg/db1/t",
        ancestors=(("Resource", "pg/db1"), ("Integration", "pg")),
        tags=frozenset({"pci", "pii"}),
        bundles=frozenset({"b1", "b3"}),
    ),
    Resource("s3", kind="Integration", bundles=frozenset({"b2"})),
    Resource(
        "s3/b",
        ancestors=(("Integration", "s3"),),
        tags=frozenset({"pii"}),
        type="s3",
        bundles=frozenset({"b2"}),
    ),
)
PERMISSIONS = ("read", "write", "admin")
TRIGGERS = ("portal", "link")
# (days, start, end, zone); the instants below fall inside and outside each of them.
WINDOWS = (
    (("mon", "tue", "wed", "thu", "fri"), "09:00", "18:00", "Europe/Berlin"),
    ((), "08:00", "20:00", "America/Los_Angeles"),
    (("sat", "sun"), "00:00", "24:00", "Asia/Tokyo"),
)
INSTANTS = tuple(
    datetime(2026, 11, day, hour, minute, tzinfo=ZoneInfo("UTC")).timestamp()
    for day, hour, minute in ((23, 8, 0), (23, 16, 59), (23, 17, 0), (28, 3, 0), (29, 15, 0))
)
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _subset(values: tuple[str, ...], min_size: int = 0) -> st.SearchStrategy[tuple[str, ...]]:
    return st.lists(
        st.sampled_from(values), min_size=min_size, max_size=len(values), unique=True
    ).map(tuple)


def _window_fields(window: tuple[tuple[str, ...], str, str, str] | None) -> dict[str, object]:
    if window is None:
        return {}
    days, start, end, zone = window
    return {"window_days": days, "window_start": start, "window_end": end, "time_zone": zone}


@st.composite
def _flow(draw: st.DrawFn, key: str) -> AccessFlow:
    trigger = draw(st.sampled_from(TRIGGERS))
    everyone = draw(st.booleans())
    external = trigger == "link" and draw(st.booleans())
    users = draw(_subset(USERS))
    groups = draw(_subset((*GROUPS, "staff")))
    if not (everyone or external or users or groups):
        groups = ("eng",)
    integrations = draw(_subset(("pg", "s3"), 0))
    resources = draw(_subset(("pg/db1", "pg/db1/t", "s3/b")))
    types = draw(_subset(TYPES)) if draw(st.integers(0, 3)) == 0 else ()
    tags = draw(_subset(TAGS)) if draw(st.integers(0, 2)) == 0 else ()
    bundles = draw(_subset(BUNDLES)) if draw(st.integers(0, 2)) == 0 else ()
    if not (integrations or resources or types or tags or bundles):
        resources = ("pg/db1",)
    for_self = draw(st.integers(0, 3)) > 0
    on_behalf_users = draw(_subset(USERS)) if draw(st.integers(0, 2)) == 0 else ()
    on_behalf_reports = draw(st.integers(0, 2)) == 0
    if not (for_self or on_behalf_users or on_behalf_reports):
        on_behalf_reports = True
    return AccessFlow(
        key=key,
        name=key,
        requestor_users=users,
        requestor_groups=groups,
        everyone=everyone,
        external=external,
        integrations=integrations,
        resources=resources,
        resource_types=types,
        tags=tags,
        bundles=bundles,
        for_self=for_self,
        on_behalf_users=on_behalf_users,
        on_behalf_reports=on_behalf_reports,
        exclude_resources=draw(_subset(("pg/db1", "s3/b"))) if draw(st.booleans()) else (),
        exclude_tags=draw(_subset(TAGS)) if draw(st.integers(0, 3)) == 0 else (),
        permissions=draw(_subset(PERMISSIONS, min_size=1)),
        max_duration_minutes=draw(st.integers(1, 600)),
        justification_required=draw(st.booleans()),
        trigger=trigger,
        enabled=draw(st.integers(0, 4)) > 0,
        **_window_fields(draw(st.none() | st.sampled_from(WINDOWS))),  # type: ignore[arg-type]
    )


@st.composite
def _forbid(draw: st.DrawFn, key: str) -> ForbidRule:
    tags = draw(_subset(TAGS))
    integrations = draw(_subset(("pg", "s3")))
    resources = draw(_subset(("pg/db1", "s3/b")))
    bundles = draw(_subset(BUNDLES)) if draw(st.integers(0, 2)) == 0 else ()
    if not (tags or integrations or resources or bundles):
        tags = ("pci",)
    window = draw(st.none() | st.sampled_from(WINDOWS))
    return ForbidRule(
        key,
        tags,
        integrations,
        resources,
        bundles=bundles,
        **_window_fields(window),  # type: ignore[arg-type]
    )


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
# (beneficiary, reports to the requester): for oneself, or for a user who may be a report.
_BENEFICIARIES = st.sampled_from(
    ((None, False), *((user, report) for user in USERS for report in (False, True)))
)
_contexts = st.builds(
    lambda trigger, permissions, minutes, justification, now, beneficiary: RequestContext(
        trigger, permissions, minutes, justification, now, *beneficiary
    ),
    st.sampled_from(TRIGGERS),
    _subset(PERMISSIONS),
    st.integers(-5, 700),
    st.sampled_from(("", "  ", "on call")),
    st.sampled_from(INSTANTS),
    _BENEFICIARIES,
)
_requests = st.builds(DecisionRequest, _principals, st.sampled_from(RESOURCES), _contexts)


def _chain(resource: Resource) -> list[tuple[str, str]]:
    return [(resource.kind, resource.key), *resource.ancestors]


def _targets(flow: AccessFlow, resource: Resource) -> bool:
    """The flow names the resource (before its tag filter and exclusions)."""
    for kind, key in _chain(resource):
        if key in (flow.integrations if kind == "Integration" else flow.resources):
            return True
    if resource.type in flow.resource_types or resource.bundles & set(flow.bundles):
        return True
    by_tag = not (flow.integrations or flow.resources or flow.resource_types or flow.bundles)
    return by_tag and bool(resource.tags & set(flow.tags))


def _is_open(fields: AccessFlow | ForbidRule, now: float) -> bool:
    local = datetime.fromtimestamp(now, ZoneInfo(fields.time_zone))
    minute = local.hour * 60 + local.minute
    start, end = (int(t[:2]) * 60 + int(t[3:]) for t in (fields.window_start, fields.window_end))
    days = fields.window_days or DAY_NAMES
    return DAY_NAMES[local.weekday()] in days and start <= minute < end


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
    if flow.everyone or flow.external:
        members.append(_EXTERNAL)
    covered = [r for r in RESOURCES if _targets(flow, r)] or list(RESOURCES)
    limit = flow.max_duration_minutes
    beneficiaries: list[tuple[str | None, bool]] = [(None, False)] if flow.for_self else []
    beneficiaries += [(user, False) for user in flow.on_behalf_users]
    if flow.on_behalf_reports:
        beneficiaries.append(("carol@corp.com", True))
    request = DecisionRequest(
        draw(st.sampled_from(members)) if members else draw(_principals),
        draw(st.sampled_from(covered)),
        RequestContext(
            flow.trigger,
            draw(_subset(flow.permissions, min_size=1)),
            draw(st.sampled_from((1, limit - 1, limit, limit + 1))),
            "on call",
            draw(st.sampled_from(INSTANTS)),
            *draw(st.sampled_from(beneficiaries)),
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


Case = tuple[list[AccessFlow], list[ForbidRule], list[DecisionRequest]]


@st.composite
def _cases(draw: st.DrawFn) -> Case:
    flows = [draw(_flow(f"f{n}")) for n in range(draw(st.integers(0, 4)))]
    forbids = [draw(_forbid(f"r{n}")) for n in range(draw(st.integers(0, 3)) // 2)]
    near = [_near_request(flow) for flow in flows]
    drawn = draw(st.lists(st.one_of(_requests, *near), min_size=5, max_size=8))
    requests = [
        replace(request, context=replace(request.context, now=now))
        for request in drawn
        for now in INSTANTS
    ]
    return flows, forbids, requests


def _allowing_flows(flows: list[AccessFlow], request: DecisionRequest) -> set[str]:
    """The flows that allow the request, read straight from their fields."""
    principal, resource, ctx = request.principal, request.resource, request.context
    groups = set(principal.groups)
    for group in principal.groups:
        groups.update(GROUP_PARENTS.get(group, ()))
    in_chain = {key for kind, key in _chain(resource) if kind == "Resource"}
    allowing = set()
    for flow in flows:
        requestor = (
            flow.everyone
            or (principal.kind == "ExternalUser" and flow.external)
            or (
                principal.kind == "User"
                and (
                    principal.key in flow.requestor_users
                    or bool(groups & set(flow.requestor_groups))
                )
            )
        )
        for_whom = (
            flow.for_self
            if ctx.beneficiary is None
            else ctx.beneficiary in flow.on_behalf_users
            or (flow.on_behalf_reports and ctx.beneficiary_report)
        )
        filtered = not flow.tags or bool(resource.tags & set(flow.tags))
        excluded = bool(in_chain & set(flow.exclude_resources)) or bool(
            resource.tags & set(flow.exclude_tags)
        )
        if (
            flow.enabled
            and _targets(flow, resource)
            and filtered
            and not excluded
            and requestor
            and for_whom
            and ctx.trigger == flow.trigger
            and ctx.permissions
            and set(ctx.permissions) <= set(flow.permissions)
            and 1 <= ctx.duration_minutes <= flow.max_duration_minutes
            and (ctx.justification.strip() or not flow.justification_required)
            and (not flow.time_zone or _is_open(flow, ctx.now))
        ):
            allowing.add(flow.key)
    return allowing


def _forbidden(rules: list[ForbidRule], request: DecisionRequest) -> bool:
    resource, now = request.resource, request.context.now
    for rule in rules:
        named = bool(resource.tags & set(rule.tags) or resource.bundles & set(rule.bundles)) or any(
            key in (rule.integrations if kind == "Integration" else rule.resources)
            for kind, key in _chain(resource)
        )
        if named and not (rule.time_zone and _is_open(rule, now)):
            return True
    return False


def _check(decision: Decision, expected: set[str], forbidden: bool) -> None:
    assert decision.allowed == (bool(expected) and not forbidden)
    assert decision.errors == ()
    if decision.allowed:
        assert set(decision.flow_keys) == expected
        assert decision.reason == ""
        return
    assert decision.flow_keys == ()
    if forbidden:
        assert " may not request " in decision.reason
        assert decision.policy_ids and all(p.startswith("forbid:") for p in decision.policy_ids)
    else:
        assert decision.reason.startswith("no access flow ")
        assert "matches but its policy did not allow" not in decision.reason


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(_cases())
def test_the_engine_allows_exactly_what_the_flows_and_forbid_rules_say(case: Case) -> None:
    flows, forbids, requests = case
    engine = PolicyEngine(flows, forbid_rules=forbids)
    decisions = [engine.decide(request) for request in requests]
    for request, decision in zip(requests, decisions, strict=True):
        _check(decision, _allowing_flows(flows, request), _forbidden(forbids, request))
    assert engine.decide_batch(requests) == decisions  # five moments: decided one by one
    for now in INSTANTS:  # one moment: the requests share their entities and Cedar calls
        at_once = [(r, d) for r, d in zip(requests, decisions, strict=True) if r.context.now == now]
        assert engine.decide_batch([r for r, _ in at_once]) == [d for _, d in at_once]


# --- what a grant reaches ------------------------------------------------------------------
# A grant on a container reaches everything below it. Over random hierarchies (the keys the
# flows and rules name, and others, hung anywhere under the two integrations, with random
# tags and bundles), an allowed request, once `policies.reach.confine` has looked below
# it, never reaches a resource its flow excludes or a forbid rule closes; and it is refused
# only when one of its matched flows would.

_POOL = ("pg/db1", "pg/db1/t", "s3/b", "n1", "n2", "n3")
_NESTED = {"b3": "b1"}  # b3 sits inside b1, so whatever b3 covers b1 covers too


@st.composite
def _hierarchy(draw: st.DrawFn) -> list[Resource]:
    """Every node (integrations first) as the engine sees it: ancestors nearest first, and
    every bundle covering it or an ancestor."""
    chains: dict[tuple[str, str], list[tuple[str, str]]] = {
        ("Integration", "pg"): [],
        ("Integration", "s3"): [],
    }
    covers: dict[tuple[str, str], set[str]] = {}
    nodes: list[Resource] = []
    for key in draw(st.permutations(_POOL)):
        parent = draw(st.sampled_from(sorted(chains)))
        chains[("Resource", key)] = [parent, *chains[parent]]
    for node in chains:
        direct = set(draw(_subset(BUNDLES))) if draw(st.integers(0, 3)) == 0 else set()
        covers[node] = direct | {_NESTED[b] for b in direct if b in _NESTED}
    for (kind, key), chain in chains.items():
        bundles = frozenset(b for n in [(kind, key), *chain] for b in covers[n])
        tags = frozenset(draw(_subset(TAGS))) if kind == "Resource" else frozenset()
        nodes.append(Resource(key, kind, tuple(chain), tags, draw(st.sampled_from(TYPES)), bundles))
    return nodes


def _below(nodes: list[Resource], container: Resource) -> list[Resource]:
    return [n for n in nodes if (container.kind, container.key) in n.ancestors]


def _finder(nodes: list[Resource], container: Resource) -> Finder:
    """The graph's search, read plainly: below the container, by key, tag or a closed
    bundle covering the resource itself (what lies below it is found through it)."""

    def covered(bundle: str, node: Resource) -> bool:
        parent_bundles = {
            b for n in nodes if (n.kind, n.key) == node.ancestors[0] for b in n.bundles
        }
        return bundle in node.bundles and bundle not in parent_bundles

    def find(look: Lookout) -> list[Below]:
        found = []
        for node in _below(nodes, container):
            bundles = frozenset(b for b in look.bundles if covered(b, node))
            if node.key in look.keys or node.tags & look.tags or bundles:
                found.append(Below(node.key, node.tags, bundles))
        return found[:MOST_NAMED]

    return find


def _excludes(flow: AccessFlow, node: Resource) -> bool:
    in_chain = {key for kind, key in _chain(node) if kind == "Resource"}
    return bool(in_chain & set(flow.exclude_resources) or node.tags & set(flow.exclude_tags))


def _reaches_cleanly(
    flow: AccessFlow, rules: list[ForbidRule], request: DecisionRequest, below: list[Resource]
) -> bool:
    return not any(
        _excludes(flow, node) or _forbidden(rules, replace(request, resource=node))
        for node in below
    )


ReachCase = tuple[list[AccessFlow], list[ForbidRule], list[Resource], list[DecisionRequest]]


@st.composite
def _reach_cases(draw: st.DrawFn) -> ReachCase:
    flows = [draw(_flow(f"f{n}")) for n in range(draw(st.integers(1, 3)))]
    forbids = [draw(_forbid(f"r{n}")) for n in range(draw(st.integers(0, 2)))]
    nodes = draw(_hierarchy())
    asking = [draw(_near_request(flow)) for flow in flows for _ in range(2)]
    asking.append(draw(_requests))
    requests = [replace(request, resource=node) for request in asking for node in nodes]
    return flows, forbids, nodes, requests


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(_reach_cases())
def test_no_allowed_request_reaches_an_excluded_or_forbidden_resource(case: ReachCase) -> None:
    flows, forbids, nodes, requests = case
    engine = PolicyEngine(flows, forbid_rules=forbids)
    by_key = {flow.key: flow for flow in flows}
    for request in requests:
        decision = engine.decide(request)
        below = _below(nodes, request.resource)
        find = _finder(nodes, request.resource)
        confined = confine(decision, request, engine.flows, engine.forbid_rules, find)
        clean = [
            key
            for key in decision.flow_keys
            if _reaches_cleanly(by_key[key], forbids, request, below)
        ]
        assert confined.allowed == bool(clean)
        if confined.allowed:
            assert confined.flow_keys == tuple(clean)
            assert {p.split(":")[1] for p in confined.policy_ids} == set(clean)
        elif decision.allowed:  # refused for what lies below: named
            assert confined.reason.startswith(f"flow `{decision.flow_keys[0]}` lets ")
            assert any(f"`{node.key}` (" in confined.reason for node in below)
            assert all(p.startswith("forbid:") for p in confined.policy_ids)
        else:
            assert confined == decision
