"""The policy engine: the compiled flows as pre-parsed Cedar policy slices, and decisions.

Policy text is parsed when flows change, never per decision, and only for the slices a
change touches (see `policies._slices`). Each change builds a new immutable snapshot and
swaps it in whole, so a decision sees either the old flows or the new ones, and a flow
that fails to compile leaves the running set untouched.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import cedarpy

from policies._outcomes import Outcome, evaluate
from policies._slices import Merged, MergedCache, SliceIndex, SliceKey
from policies.compiler import CompiledFlow, compile_flow, default_schema, flow_targets
from policies.entities import (
    DecisionRequest,
    Fragment,
    entities_handle,
    principal_key,
    request_entities,
    resource_fragments,
)
from policies.explain import explain_deny, explain_forbid
from policies.flows import AccessFlow, FlowInvalid
from policies.forbid import OWNER_PREFIX, ForbidRule, compile_forbid
from policies.windows import zone_entity


class UnknownFlow(LookupError):
    """No flow (or forbid rule) with that key is loaded."""

    def __init__(self, key: str, what: str = "access flow") -> None:
        super().__init__(f"no {what} `{key}` is loaded")
        self.key = key


@dataclass(frozen=True)
class Decision:
    """Allowed or not, which flows (and their policies) decided, and why not."""

    allowed: bool
    flow_keys: tuple[str, ...] = ()
    policy_ids: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    reason: str = ""  # set on a deny only


@dataclass(frozen=True)
class _Snapshot:
    flows: Mapping[str, AccessFlow]
    compiled: Mapping[str, CompiledFlow]
    index: SliceIndex
    merged: MergedCache
    # Which flows offer each target, disabled ones included: for explanations.
    offering: Mapping[SliceKey, tuple[str, ...]]
    forbids: Mapping[str, ForbidRule]
    compiled_forbids: Mapping[str, CompiledFlow]


class PolicyEngine:
    """Decides access requests against the access flows it holds. Thread-safe.

    `sliced=False` gives every decision the whole policy set (for benchmarks and checks).
    """

    def __init__(
        self,
        flows: Iterable[AccessFlow] = (),
        *,
        schema: cedarpy.Schema | None = None,
        sliced: bool = True,
        forbid_rules: Iterable[ForbidRule] = (),
    ) -> None:
        self._schema = default_schema() if schema is None else schema
        self._sliced = sliced
        self._write_lock = threading.Lock()
        self._state = _snapshot({}, {}, SliceIndex({}), {}, {})
        self.set_flows(flows)
        self.set_forbid_rules(forbid_rules)

    @property
    def forbid_rules(self) -> Mapping[str, ForbidRule]:
        return self._state.forbids

    def set_forbid_rules(self, rules: Iterable[ForbidRule]) -> None:
        """Replace every forbid rule; if any is invalid, raise FlowInvalid, change nothing."""
        rules = list(rules)
        repeated = sorted(k for k, n in Counter(r.key for r in rules).items() if n > 1)
        if repeated:
            raise FlowInvalid(f"forbid rule key `{repeated[0]}` is used by more than one rule")
        compiled = {rule.key: compile_forbid(rule, self._schema) for rule in rules}
        with self._write_lock:
            state = self._state
            index = state.index
            for key in sorted({*state.compiled_forbids, *compiled}):
                index = index.replaced(
                    OWNER_PREFIX + key, state.compiled_forbids.get(key), compiled.get(key)
                )
            self._state = _snapshot(
                state.flows,
                state.compiled,
                index,
                {rule.key: rule for rule in rules},
                compiled,
                state,
            )

    def upsert_forbid_rule(self, rule: ForbidRule) -> None:
        """Add or replace one forbid rule; if it is invalid, raise FlowInvalid, change
        nothing. Only the slices the rule touches are parsed again."""
        compiled = compile_forbid(rule, self._schema)
        with self._write_lock:
            state = self._state
            index = state.index.replaced(
                OWNER_PREFIX + rule.key, state.compiled_forbids.get(rule.key), compiled
            )
            self._state = _snapshot(
                state.flows,
                state.compiled,
                index,
                {**state.forbids, rule.key: rule},
                {**state.compiled_forbids, rule.key: compiled},
                state,
            )

    def remove_forbid_rule(self, key: str) -> None:
        """Drop forbid rule `key`; raises UnknownFlow when no such rule is loaded."""
        with self._write_lock:
            state = self._state
            if key not in state.forbids:
                raise UnknownFlow(key, "forbid rule")
            index = state.index.replaced(OWNER_PREFIX + key, state.compiled_forbids[key], None)
            self._state = _snapshot(
                state.flows,
                state.compiled,
                index,
                {k: r for k, r in state.forbids.items() if k != key},
                {k: c for k, c in state.compiled_forbids.items() if k != key},
                state,
            )

    @property
    def flows(self) -> Mapping[str, AccessFlow]:
        return self._state.flows

    def policy_text(self) -> str:
        """Every compiled policy, as Cedar text (for audits and debugging)."""
        return "\n".join(c.text for c in self._state.compiled.values() if c.text)

    def compiled_text(self, flow_key: str) -> str:
        """The Cedar text flow `flow_key` compiled to ("" for a disabled flow)."""
        compiled = self._state.compiled.get(flow_key)
        if compiled is None:
            raise UnknownFlow(flow_key)
        return compiled.text

    def set_flows(self, flows: Iterable[AccessFlow]) -> None:
        """Replace every flow; if any flow is invalid, raise FlowInvalid and change nothing."""
        flows = list(flows)
        repeated = sorted(k for k, n in Counter(f.key for f in flows).items() if n > 1)
        if repeated:
            raise FlowInvalid(f"flow key `{repeated[0]}` is used by more than one flow")
        compiled = {flow.key: compile_flow(flow, self._schema) for flow in flows}
        with self._write_lock:
            state = self._state
            index = SliceIndex.build([*compiled.values(), *state.compiled_forbids.values()])
            self._state = _snapshot(
                {flow.key: flow for flow in flows},
                compiled,
                index,
                state.forbids,
                state.compiled_forbids,
            )

    def upsert_flow(self, flow: AccessFlow) -> None:
        """Add or replace one flow; if it is invalid, raise FlowInvalid and change nothing."""
        compiled = compile_flow(flow, self._schema)
        with self._write_lock:
            state = self._state
            index = state.index.replaced(flow.key, state.compiled.get(flow.key), compiled)
            self._state = _snapshot(
                {**state.flows, flow.key: flow},
                {**state.compiled, flow.key: compiled},
                index,
                state.forbids,
                state.compiled_forbids,
                state,
            )

    def remove_flow(self, key: str) -> None:
        with self._write_lock:
            state = self._state
            if key not in state.flows:
                raise UnknownFlow(key)
            flows = {k: f for k, f in state.flows.items() if k != key}
            compiled = {k: c for k, c in state.compiled.items() if k != key}
            index = state.index.replaced(key, state.compiled[key], None)
            self._state = _snapshot(
                flows, compiled, index, state.forbids, state.compiled_forbids, state
            )

    def decide(self, request: DecisionRequest) -> Decision:
        """Allow only when a flow's policy permits; deny by default, and on any error."""
        state = self._state
        try:
            merged = self._merged_for(state, request)
        except (ValueError, UnicodeError) as exc:
            return _unevaluated(request, str(exc))
        if not merged.parts:  # no policy could apply: Cedar would deny, and say nothing
            return Decision(False, reason=_explain(state, request, ()))
        return _decide_alone(state, request, merged)

    def decide_batch(self, requests: Sequence[DecisionRequest]) -> list[Decision]:
        """`decide` for many requests (e.g. everything one person might request): each
        person's entities are parsed once, and requests sharing a policy slice share one
        Cedar call."""
        state = self._state
        decisions: list[Decision | None] = [None] * len(requests)
        by_principal: dict[tuple[object, ...], list[tuple[int, Merged]]] = {}
        for position, request in enumerate(requests):
            try:
                merged = self._merged_for(state, request)
            except (ValueError, UnicodeError) as exc:
                decisions[position] = _unevaluated(request, str(exc))
                continue
            if not merged.parts:
                decisions[position] = Decision(False, reason=_explain(state, request, ()))
                continue
            who = principal_key(request.principal)
            by_principal.setdefault(who, []).append((position, merged))
        for members in by_principal.values():
            pairs = [(requests[position], merged) for position, merged in members]
            for (position, _), decision in zip(
                members, _decide_together(state, pairs), strict=True
            ):
                decisions[position] = decision
        return [d for d in decisions if d is not None]

    def _merged_for(self, state: _Snapshot, request: DecisionRequest) -> Merged:
        if not self._sliced:
            return state.merged.get(None)
        return state.merged.get(state.index.keys_for(request.resource))


def _decide_together(
    state: _Snapshot, pairs: list[tuple[DecisionRequest, Merged]]
) -> list[Decision]:
    """Requests of one principal, each with its policies: one entity set for them all and
    one Cedar call per policy set; one by one if they cannot share the entities."""
    requests = [request for request, _ in pairs]
    minutes = {int(request.context.now // 60) for request in requests}
    if len(minutes) > 1:  # the clock entities differ: they cannot share one entity set
        return [_decide_alone(state, request, merged) for request, merged in pairs]
    minute = minutes.pop()
    zones = sorted({zone for _, merged in pairs for zone in merged.zones})
    chosen = _shared_fragments(requests)
    if chosen is None:  # the chains disagree about an entity
        return [_decide_alone(state, request, merged) for request, merged in pairs]
    texts = [zone_entity(zone, minute) for zone in zones] + [f.text for f in chosen]
    groups: frozenset[str] | None = frozenset()
    for _, merged in pairs:
        groups = None if groups is None or merged.groups is None else groups | merged.groups
    attrs = any(merged.principal_attrs for _, merged in pairs)
    by_merged: dict[int, list[int]] = {}
    for index, (_, merged) in enumerate(pairs):
        by_merged.setdefault(id(merged), []).append(index)
    decisions: list[Decision] = [Decision(False)] * len(pairs)
    try:
        entities = entities_handle(requests[0].principal, texts, groups, principal_attrs=attrs)
        for indexes in by_merged.values():
            merged = pairs[indexes[0]][1]
            outcomes = evaluate([requests[i] for i in indexes], merged, entities)
            for i, outcome in zip(indexes, outcomes, strict=True):
                decisions[i] = _conclude(state, requests[i], outcome, merged)
    except (ValueError, UnicodeError):
        return [_decide_alone(state, request, merged) for request, merged in pairs]
    return decisions


def _shared_fragments(requests: list[DecisionRequest]) -> list[Fragment] | None:
    """One entity per requested resource for all the requests, or None if two requests
    describe the same resource differently."""
    chosen: dict[tuple[str, str], Fragment] = {}
    for request in requests:
        for fragment in resource_fragments(request.resource):
            known = chosen.setdefault(fragment.uid, fragment)
            if known.text != fragment.text:
                return None
    return list(chosen.values())


def _decide_alone(state: _Snapshot, request: DecisionRequest, merged: Merged) -> Decision:
    try:
        entities = request_entities(
            request, _zones(merged, request), merged.groups, principal_attrs=merged.principal_attrs
        )
        outcome = evaluate([request], merged, entities)[0]
    except (ValueError, UnicodeError) as exc:
        return _unevaluated(request, str(exc))
    return _conclude(state, request, outcome, merged)


def _conclude(
    state: _Snapshot, request: DecisionRequest, outcome: Outcome, merged: Merged
) -> Decision:
    errors = outcome.errors
    if outcome.decision is cedarpy.Decision.NoDecision:
        return _unevaluated(request, "; ".join(errors), errors)
    if outcome.decision is not cedarpy.Decision.Allow:
        if outcome.determining:  # a forbid rule decided: no flow can help, say which rule
            forbidding = outcome.determining
            reason = explain_forbid(request, state.forbids, state.compiled_forbids, forbidding)
            return Decision(False, policy_ids=forbidding, errors=errors, reason=reason)
        return Decision(False, errors=errors, reason=_explain(state, request, errors))
    flow_keys = tuple(sorted({merged.policy_flow[p] for p in outcome.determining}))
    return Decision(True, flow_keys, outcome.determining, errors)


def _zones(merged: Merged, request: DecisionRequest) -> tuple[str, ...]:
    """The `TimeZone` entities the merged policies read, at the request's moment."""
    minute = int(request.context.now // 60)
    return tuple(zone_entity(zone, minute) for zone in merged.zones)


def _explain(state: _Snapshot, request: DecisionRequest, errors: tuple[str, ...]) -> str:
    resource = request.resource
    keys = [(resource.kind, resource.key), *resource.ancestors]
    keys += [("tag", tag) for tag in resource.tags] + [("type", resource.type)]
    keys += [("Bundle", bundle) for bundle in resource.bundles]
    offering = dict.fromkeys(k for key in keys for k in state.offering.get(key, ()))
    # Each flow offering one of these targets covers the resource (see `covers`).
    return explain_deny(request, [state.flows[k] for k in offering], errors, all_cover=True)


def _snapshot(
    flows: Mapping[str, AccessFlow],
    compiled: Mapping[str, CompiledFlow],
    index: SliceIndex,
    forbids: Mapping[str, ForbidRule],
    compiled_forbids: Mapping[str, CompiledFlow],
    previous: _Snapshot | None = None,
) -> _Snapshot:
    offering: dict[SliceKey, list[str]] = {}
    for flow in flows.values():
        for target in flow_targets(flow):
            offering.setdefault(target, []).append(flow.key)
    return _Snapshot(
        MappingProxyType(dict(flows)),
        MappingProxyType(dict(compiled)),
        index,
        MergedCache(index, previous.merged if previous is not None else None),
        MappingProxyType({key: tuple(keys) for key, keys in offering.items()}),
        MappingProxyType(dict(forbids)),
        MappingProxyType(dict(compiled_forbids)),
    )


def _unevaluated(request: DecisionRequest, error: str, errors: tuple[str, ...] = ()) -> Decision:
    """A request Cedar could not evaluate at all: denied, with the error kept."""
    who, what = request.principal.key, request.resource.key
    return Decision(
        False,
        errors=errors or (error,),
        reason=f"the policy engine could not evaluate `{who}` requesting `{what}`: {error}",
    )
