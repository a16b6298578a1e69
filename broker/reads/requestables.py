"""What a person may request, and what a request would get, before anything is stored.

The portal's request page searches here. Every answer comes from the decision
`request_access` itself makes (`broker.requests._new_request.decide`): the flows offered for
a resource are those the policy engine matches for this person now, so the page never
offers what the request would refuse, nor hides what it would allow.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from broker import _text
from broker._lookup import known_flow, require_allowed
from broker._text import check_text
from broker.errors import InvalidInput
from broker.requests._new_request import Asked, ask, asked_of, decide, prepare
from broker.requests.request_bundle import bundle_items
from broker.services import Services
from graph import Node, ResourceContext, UnknownNode
from policies.api_authz import Target
from policies.engine import Decision
from policies.flows import AccessFlow

MAX_PAGE = 50
# Candidates one call may judge (a bundle counts once per item): each is a few policy
# decisions, so a search matching thousands of resources answers in pages, never at once.
SCAN_BUDGET = 400
# Stands in for the justification the requester will type: a flow that requires one then
# still matches, and the page says that it is required.
_SOME_JUSTIFICATION = "(to be given)"
_CURSOR_PREFIX = "requestable:"
_KINDS = ("Resource", "Integration", "Bundle")


@dataclass(frozen=True)
class FlowOffer:
    """One flow that lets the viewer request an item, and on what terms."""

    flow: str
    name: str
    permissions: tuple[str, ...]
    max_duration_minutes: int
    default_duration_minutes: int
    justification_required: bool
    approval: str  # who approves, in words


@dataclass(frozen=True)
class Requestable:
    kind: str  # Resource, Integration (as a whole) or Bundle
    key: str
    name: str
    type: str
    tags: tuple[str, ...]
    flows: tuple[FlowOffer, ...]


@dataclass(frozen=True)
class RequestablePage:
    items: tuple[Requestable, ...]
    end_cursor: str | None  # pass as `after` for the next page
    has_next_page: bool  # more to look at; a page may hold fewer than asked (scan budget)


@dataclass(frozen=True)
class Preview:
    """What `request_access` would answer now, stored nowhere."""

    allowed: bool
    explanation: str  # the policy engine's, on a deny
    flow: FlowOffer | None  # the flow that would decide it, when allowed
    duration_minutes: int  # the duration it would be decided for


def requestable(
    services: Services,
    *,
    viewer: str,
    search: str = "",
    first: int = 20,
    after: str | None = None,
) -> RequestablePage:
    """Resources, integrations and bundles matching `search` (key or name, any case) that
    some flow lets `viewer` request for themselves now, by key, with the flows that do.

    Forbidden first when the API policies do not let `viewer` request access at all."""
    require_allowed(services, viewer, "requestAccess", Target.api())
    if not 1 <= first <= MAX_PAGE:
        raise InvalidInput(f"page size `{first}` is outside 1..{MAX_PAGE}: ask for fewer")
    check_text("search", search, most=_text.NAME)
    start = _cursor_key(after)
    asks = _asks(services, viewer)
    found: list[Requestable] = []
    budget = SCAN_BUDGET
    last: tuple[str, str] | None = None
    more = False
    for node in _candidates(services, search.strip().lower(), start):
        if len(found) == first or budget <= 0:
            more = True
            break
        offers, cost = _offers(services, asks, node)
        budget -= cost
        last = (node.key, node.kind)
        if offers:
            found.append(_item(node, offers))
    end = _cursor(last) if last is not None else after
    return RequestablePage(tuple(found), end, more)


def preview_request(
    services: Services,
    *,
    requester: str,
    resource: str,
    permissions: Sequence[str],
    duration_minutes: int | None = None,
    justification: str = "",
    beneficiary: str | None = None,
    starts_at: float | None = None,
) -> Preview:
    """The decision `request_access` would make for these inputs, with its explanation,
    without storing the request or its refusal. Bad input raises as `request_access` does."""
    asked, target = asked_of(
        services,
        requester=requester,
        resource=resource,
        permissions=permissions,
        duration_minutes=duration_minutes,
        justification=justification,
        trigger="portal",
        beneficiary=beneficiary,
        starts_at=starts_at,
    )
    decision, minutes = decide(services, asked, target)
    if not decision.allowed:
        return Preview(False, decision.reason, None, minutes)
    # The request as it would be stored (not stored): its checks after the decision too,
    # a start too far ahead for the flow, a flow nobody could approve for this requester.
    prepared = prepare(services, asked, target, decision, minutes)
    return Preview(True, "", _offer(prepared.flow, asked.permissions), minutes)


def _asks(services: Services, viewer: str) -> list[Asked]:
    """One probe per permission any portal flow offers: the shortest duration (every flow's
    maximum allows it), for the viewer themselves, at once."""
    offered = sorted(
        {p for f in services.engine.flows.values() if _portal(f) for p in f.permissions}
    )
    return [
        ask(
            services,
            requester=viewer,
            permissions=[permission],
            duration_minutes=1,
            justification=_SOME_JUSTIFICATION,
            trigger="portal",
            beneficiary=None,
            starts_at=None,
        )
        for permission in offered
    ]


def _portal(flow: AccessFlow) -> bool:
    return flow.enabled and flow.trigger == "portal" and flow.for_self


def _candidates(services: Services, needle: str, start: tuple[str, str] | None) -> Iterator[Node]:
    store = services.store
    nodes = [n for kind in _KINDS for n in store.find_nodes(kind) if _matches(n, needle)]
    for node in sorted(nodes, key=lambda n: (n.key, n.kind)):
        if start is None or (node.key, node.kind) > start:
            yield node


def _matches(node: Node, needle: str) -> bool:
    return not needle or needle in node.key.lower() or needle in _name(node).lower()


def _offers(services: Services, asks: list[Asked], node: Node) -> tuple[list[FlowOffer], int]:
    """The flows that let the viewer request `node`, and what judging it cost (items)."""
    if node.kind == "Bundle":
        return _bundle_offers(services, asks, node)
    try:
        target = services.store.resource_context(node.ref)
    except UnknownNode:  # removed since the search read it
        return [], 1
    granted: dict[str, list[str]] = {}
    for asked in asks:
        decision = _requestable(services, asked, target)
        if decision is not None:
            for flow in decision.flow_keys:
                granted.setdefault(flow, []).extend(asked.permissions)
    return [_offer(known_flow(services, k), ps) for k, ps in sorted(granted.items())], 1


def _bundle_offers(
    services: Services, asks: list[Asked], node: Node
) -> tuple[list[FlowOffer], int]:
    """A bundle is requested with one permission for all of its items: offered with those
    permissions every item allows, through the flows that decide each item (the first
    matched, as a request takes)."""
    items = bundle_items(services.store, node.key)
    if not items:
        return [], 1
    granted: dict[str, list[str]] = {}
    for asked in asks:
        deciding: set[str] = set()
        for ref in items:
            try:
                decision = _requestable(services, asked, services.store.resource_context(ref))
            except UnknownNode:
                break
            if decision is None:
                break
            deciding.add(decision.flow_keys[0])
        else:
            for flow in deciding:
                granted.setdefault(flow, []).extend(asked.permissions)
    offers = [_offer(known_flow(services, k), ps) for k, ps in sorted(granted.items())]
    return offers, len(items)


def _requestable(services: Services, asked: Asked, target: ResourceContext) -> Decision | None:
    """The decision allowing `asked` for `target`, when `request_access` would store it:
    allowed, and its flow has someone who could approve it for this requester (`prepare`
    says so, storing nothing); else None."""
    decision, minutes = decide(services, asked, target)
    if not decision.allowed:
        return None
    try:
        prepare(services, asked, target, decision, minutes)
    except InvalidInput:
        return None
    return decision


def _offer(flow: AccessFlow, permissions: Sequence[str]) -> FlowOffer:
    return FlowOffer(
        flow=flow.key,
        name=flow.name,
        permissions=tuple(sorted(set(permissions))),
        max_duration_minutes=flow.max_duration_minutes,
        default_duration_minutes=flow.duration_default,
        justification_required=flow.justification_required,
        approval=approval_summary(flow),
    )


def approval_summary(flow: AccessFlow) -> str:
    """Who approves a request by `flow`, in words: `approved automatically`, or each step
    in order (`one of grace@acme.example, group sre; then your manager`)."""
    if flow.auto_approve:
        return "approved automatically"
    steps = []
    for step in flow.steps:
        who = [*step.approvers, *(f"group {g}" for g in step.approver_groups)]
        if step.manager:
            who.append("your manager")
        lead = "all of" if step.mode == "all" and len(who) > 1 else "one of"
        steps.append(who[0] if len(who) == 1 else f"{lead} {', '.join(who)}")
    return "; then ".join(steps)


def _item(node: Node, offers: list[FlowOffer]) -> Requestable:
    return Requestable(
        kind=node.kind,
        key=node.key,
        name=_name(node),
        type=str(node.props.get("type") or ""),
        tags=tuple(str(t) for t in node.props.get("tags") or ()),
        flows=tuple(offers),
    )


def _name(node: Node) -> str:
    return str(node.props.get("name") or node.key)


def _cursor(position: tuple[str, str]) -> str:
    key, kind = position
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{kind}:{key}".encode()).decode()


def _cursor_key(after: str | None) -> tuple[str, str] | None:
    """The (key, kind) a cursor stands for; InvalidInput for one this list did not hand out."""
    if after is None:
        return None
    check_text("cursor", after, most=2 * _text.KEY)
    try:
        text = base64.urlsafe_b64decode(after.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    kind, _, key = text.removeprefix(_CURSOR_PREFIX).partition(":")
    if not text.startswith(_CURSOR_PREFIX) or kind not in _KINDS or not key:
        raise InvalidInput(f"`{after}` is not a cursor of this list: pass an `endCursor` it gave")
    return key, kind
