"""What a grant reaches, held to what its flow and the forbid rules allow.

A grant on an integration, or on a resource with children, reaches every resource below
it (PART_OF). Cedar decides the requested node only, so an allowed request for such a
container also needs this reading: the flow that allowed it must allow each resource below
too, and no forbid rule may close any of them. Who asks, how, for how long and for whom was
settled by the container's own decision, so only what depends on the resource is judged
here: the flow's exclusions (named resources, with everything below them, and tags) and
the forbid rules closed at the decision's moment (their tags, resources and bundles).
A forbid rule naming an integration closes the container itself, which Cedar already
refused.

The graph is read through a `Finder`: given a `Lookout` (the keys, tags and bundles to look
for), it returns the resources below the container that match, so the cost is one bounded
search per matched flow, and none when nothing is excluded or closed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from policies.engine import Decision
from policies.entities import DecisionRequest
from policies.explain import explain_reach
from policies.flows import AccessFlow
from policies.forbid import ForbidRule, policy_id

MOST_NAMED = 20
"""How many blocked resources a Finder needs to return: enough to name a few, and the
first one is enough to refuse."""


@dataclass(frozen=True)
class Lookout:
    """What to look for below a container: resource keys (excluded or closed), tags, and
    closed bundles (the Finder turns each into the resources it covers)."""

    keys: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()
    bundles: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.keys or self.tags or self.bundles)


@dataclass(frozen=True)
class Below:
    """A resource below the container that a Finder matched: its key, its tags, and the
    lookout's bundles that cover it."""

    key: str
    tags: frozenset[str] = frozenset()
    bundles: frozenset[str] = frozenset()


Finder = Callable[[Lookout], Sequence[Below]]


@dataclass(frozen=True)
class Blocked:
    """A resource below the container that the grant must not reach, and why, in words."""

    key: str
    reasons: tuple[str, ...]
    policy_ids: tuple[str, ...] = ()  # the forbid policies that close it


def closed_rules(rules: Iterable[ForbidRule], now: float) -> list[ForbidRule]:
    """The enabled rules that close what they name at `now` (outside their window)."""
    closing = []
    for rule in rules:
        window = rule.window
        if rule.enabled and (window is None or not window.is_open(now)):
            closing.append(rule)
    return closing


def lookout(flow: AccessFlow | None, rules: Iterable[ForbidRule]) -> Lookout:
    """What `flow` excludes and the (closing) `rules` close, to look for below a container."""
    rules = list(rules)
    keys = {key for rule in rules for key in rule.resources}
    tags = {tag for rule in rules for tag in rule.tags}
    if flow is not None:
        keys.update(flow.exclude_resources)
        tags.update(flow.exclude_tags)
    bundles = frozenset(bundle for rule in rules for bundle in rule.bundles)
    return Lookout(frozenset(keys), frozenset(tags), bundles)


def blocked(
    flow: AccessFlow | None, rules: Iterable[ForbidRule], found: Iterable[Below]
) -> list[Blocked]:
    """Which of `found` the flow excludes or the (closing) `rules` close, and why."""
    rules = list(rules)
    out = []
    for below in found:
        reasons: list[str] = []
        ids: list[str] = []
        if flow is not None and below.key in flow.exclude_resources:
            reasons.append(f"excluded by flow `{flow.key}`")
        if flow is not None:
            reasons += [
                f"tagged `{tag}`, which flow `{flow.key}` excludes"
                for tag in flow.exclude_tags
                if tag in below.tags
            ]
        for rule in rules:
            for target in rule.targets():
                kind, key = target
                if (
                    (kind == "tag" and key in below.tags)
                    or (kind == "Resource" and key == below.key)
                    or (kind == "Bundle" and key in below.bundles)
                ):
                    reasons.append(rule.describe(target))
                    ids.append(policy_id(rule, target))
        if reasons:
            out.append(Blocked(below.key, tuple(dict.fromkeys(reasons)), tuple(ids)))
    return out


def confine(
    decision: Decision,
    request: DecisionRequest,
    flows: Mapping[str, AccessFlow],
    rules: Mapping[str, ForbidRule],
    find: Finder,
) -> Decision:
    """`decision` for a container, kept only for the matched flows whose grant would reach
    nothing they exclude and nothing a forbid rule closes at the request's moment; denied,
    naming what lies out of reach, when no matched flow is left."""
    if not decision.allowed:
        return decision
    closing = closed_rules(rules.values(), request.context.now)
    kept: list[str] = []
    refused: dict[str, list[Blocked]] = {}
    for key in decision.flow_keys:
        flow = flows.get(key)
        look = lookout(flow, closing)
        found = blocked(flow, closing, find(look)) if look else []
        if flow is None and not found:  # replaced while deciding: its exclusions are unknown
            found = [Blocked(request.resource.key, (f"flow `{key}` changed: try again",))]
        if found:
            refused[key] = found
        else:
            kept.append(key)
    if kept:
        ids = tuple(p for p in decision.policy_ids if _owner(p) in kept)
        return replace(decision, flow_keys=tuple(kept), policy_ids=ids)
    first = decision.flow_keys[0]
    named = refused[first]
    ids = tuple(dict.fromkeys(p for b in named for p in b.policy_ids))
    reason = explain_reach(request, first, [(b.key, b.reasons) for b in named])
    return Decision(False, policy_ids=ids, errors=decision.errors, reason=reason)


def _owner(policy: str) -> str:
    """The flow a compiled policy id (`flow:<key>:<n>`) belongs to (keys hold no `:`)."""
    parts = policy.split(":")
    return parts[1] if len(parts) == 3 and parts[0] == "flow" else ""
