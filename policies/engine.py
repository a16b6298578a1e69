"""The policy engine: the compiled flows as one pre-parsed Cedar policy set, and decisions.

Policy text is parsed when flows change, never per decision. Each change builds a new
immutable snapshot and swaps it in whole, so a decision sees either the old flows or
the new ones, and a flow that fails to compile leaves the running set untouched.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import cedarpy

from policies.compiler import CompiledFlow, compile_flow, default_schema
from policies.entities import (
    DecisionRequest,
    Principal,
    Resource,
    cedar_entities,
    cedar_request,
)
from policies.flows import AccessFlow, FlowInvalid


class UnknownFlow(LookupError):
    """No flow with that key is loaded."""

    def __init__(self, key: str) -> None:
        super().__init__(f"no access flow `{key}` is loaded")
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
    policies: cedarpy.PolicySet
    # The @id of every policy in parse order: Cedar names them `policy0`, `policy1`...
    policy_ids: tuple[str, ...]
    policy_flow: Mapping[str, str]  # policy @id -> flow key


class PolicyEngine:
    """Decides access requests against the access flows it holds. Thread-safe."""

    def __init__(
        self, flows: Iterable[AccessFlow] = (), *, schema: cedarpy.Schema | None = None
    ) -> None:
        self._schema = default_schema() if schema is None else schema
        self._write_lock = threading.Lock()
        self._state = _snapshot({}, {})
        self.set_flows(flows)

    @property
    def flows(self) -> Mapping[str, AccessFlow]:
        return self._state.flows

    def policy_text(self) -> str:
        """Every compiled policy, as Cedar text (for audits and debugging)."""
        return "\n".join(c.text for c in self._state.compiled.values() if c.text)

    def set_flows(self, flows: Iterable[AccessFlow]) -> None:
        """Replace every flow; if any flow is invalid, raise FlowInvalid and change nothing."""
        flows = list(flows)
        repeated = sorted(k for k, n in Counter(f.key for f in flows).items() if n > 1)
        if repeated:
            raise FlowInvalid(f"flow key `{repeated[0]}` is used by more than one flow")
        compiled = {flow.key: compile_flow(flow, self._schema) for flow in flows}
        with self._write_lock:
            self._state = _snapshot({flow.key: flow for flow in flows}, compiled)

    def upsert_flow(self, flow: AccessFlow) -> None:
        """Add or replace one flow; if it is invalid, raise FlowInvalid and change nothing."""
        compiled = compile_flow(flow, self._schema)
        with self._write_lock:
            state = self._state
            # A new flow is parsed alone; an edit re-parses the whole set (cedarpy cannot
            # remove a static policy). Slicing by resource scope will bound that to the
            # slices the flow touches.
            self._state = _snapshot(
                {**state.flows, flow.key: flow}, {**state.compiled, flow.key: compiled}, state
            )

    def remove_flow(self, key: str) -> None:
        with self._write_lock:
            state = self._state
            if key not in state.flows:
                raise UnknownFlow(key)
            flows = {k: f for k, f in state.flows.items() if k != key}
            compiled = {k: c for k, c in state.compiled.items() if k != key}
            self._state = _snapshot(flows, compiled)

    def decide(self, request: DecisionRequest) -> Decision:
        """Allow only when a flow's policy permits; deny by default, and on any error."""
        state = self._state
        # Slicing goes here: pick the pre-parsed sets scoped to the resource and its
        # ancestors instead of the whole set (evaluation is linear in policies given).
        try:
            result = cedarpy.is_authorized(
                cedar_request(request), state.policies, cedar_entities(request), self._schema
            )
        except (ValueError, UnicodeError) as exc:
            return _unevaluated(request, str(exc))
        diagnostics = result.diagnostics
        errors = tuple(_name_policies(e, state.policy_ids) for e in diagnostics.errors)
        if result.decision is cedarpy.Decision.NoDecision:
            return _unevaluated(request, "; ".join(errors), errors)
        if not result.allowed:
            reason = _explain_deny(request, state.flows.values(), errors)
            return Decision(False, errors=errors, reason=reason)
        by_reason = diagnostics.id_annotations_by_reason
        policy_ids = tuple(sorted(by_reason[p] for p in diagnostics.reasons if p in by_reason))
        flow_keys = tuple(sorted({state.policy_flow[p] for p in policy_ids}))
        return Decision(True, flow_keys, policy_ids, errors)


def _snapshot(
    flows: Mapping[str, AccessFlow],
    compiled: Mapping[str, CompiledFlow],
    base: _Snapshot | None = None,
) -> _Snapshot:
    """Parse `compiled` into a policy set. When it only appends flows to `base`, only the
    new flows' text is parsed (cedarpy numbers appended policies as concatenation would)."""
    appended = list(compiled.values())
    policies = cedarpy.PolicySet.from_str("")
    policy_ids: tuple[str, ...] = ()
    if base is not None and _extends(compiled, base.compiled):
        appended = appended[len(base.compiled) :]
        policies, policy_ids = base.policies, base.policy_ids
    text = "\n".join(c.text for c in appended if c.text)
    try:
        policies = policies.with_added_str(text) if text else policies
    except ValueError as exc:  # each flow was validated alone; failing together is a bug
        raise FlowInvalid(f"the access flows cannot be loaded together: {exc}") from exc
    policy_ids += tuple(pid for c in appended for pid in c.policy_ids)
    assert len(policies) == len(policy_ids), "policy numbering drifted from the flows"
    return _Snapshot(
        MappingProxyType(dict(flows)),
        MappingProxyType(dict(compiled)),
        policies,
        policy_ids,
        MappingProxyType({pid: c.key for c in compiled.values() for pid in c.policy_ids}),
    )


def _extends(compiled: Mapping[str, CompiledFlow], base: Mapping[str, CompiledFlow]) -> bool:
    """True when `compiled` is `base`, unchanged and in order, plus flows after it."""
    return list(compiled)[: len(base)] == list(base) and all(
        compiled[key] is flow for key, flow in base.items()
    )


def _name_policies(error: str, policy_ids: tuple[str, ...]) -> str:
    """Cedar's `policy7` in an error becomes the policy's @id."""

    def named(match: re.Match[str]) -> str:
        position = int(match.group(1))
        return f"`{policy_ids[position]}`" if position < len(policy_ids) else match.group()

    return re.sub(r"`policy(\d+)`", named, error)


def _unevaluated(request: DecisionRequest, error: str, errors: tuple[str, ...] = ()) -> Decision:
    """A request Cedar could not evaluate at all: denied, with the error kept."""
    who, what = request.principal.key, request.resource.key
    return Decision(
        False,
        errors=errors or (error,),
        reason=f"the policy engine could not evaluate `{who}` requesting `{what}`: {error}",
    )


# --- explaining a deny ----------------------------------------------------------------
# Computed from the flows, not from Cedar: a deny has no determining policy to point at.
# The conditions are judged in the order below; the nearest flow is the covering flow
# that gets furthest before failing (ties go to the first key).

_TRIGGER_PLACES = {"portal": "the portal", "link": "an access link"}


def _explain_deny(
    request: DecisionRequest, flows: Iterable[AccessFlow], errors: tuple[str, ...]
) -> str:
    principal, resource = request.principal, request.resource
    covering = sorted((f for f in flows if _covers(f, resource)), key=lambda f: f.key)
    if not covering:
        return f"no access flow covers `{resource.key}`"
    groups = principal.all_groups()
    judged = [_first_failure(flow, request, groups) for flow in covering]
    stage, failure = max(judged, key=lambda judgement: judgement[0])
    if stage == 0:
        failure = f"`{principal.key}` is not a requestor of any flow covering `{resource.key}`"
    elif failure is None:  # Cedar and this reading disagree: say so rather than guess
        failure = "a flow matches but its policy did not allow the request"
        if errors:
            failure += f" ({'; '.join(errors)})"
    return f"no access flow lets `{principal.key}` request `{resource.key}`: {failure}"


def _covers(flow: AccessFlow, resource: Resource) -> bool:
    for kind, key in ((resource.kind, resource.key), *resource.ancestors):
        if key in (flow.integrations if kind == "Integration" else flow.resources):
            return True
    return False


def _is_requestor(flow: AccessFlow, principal: Principal, groups: frozenset[str]) -> bool:
    if flow.everyone:
        return True
    if principal.kind != "User":  # named requestors are users and groups of users
        return False
    return principal.key in flow.requestor_users or not groups.isdisjoint(flow.requestor_groups)


def _first_failure(
    flow: AccessFlow, request: DecisionRequest, groups: frozenset[str]
) -> tuple[int, str | None]:
    """The index of the first condition the flow fails and why; past the last if none."""
    ctx = request.context
    nearest = f"the nearest flow `{flow.key}`"
    offered = ", ".join(flow.permissions)
    missing = [p for p in dict.fromkeys(ctx.permissions) if p not in flow.permissions]
    checks: list[tuple[bool, str]] = [
        (_is_requestor(flow, request.principal, groups), ""),
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
        (flow.enabled, f"{nearest} is disabled; an admin can enable it"),
    ]
    for stage, (passed, failure) in enumerate(checks):
        if not passed:
            return stage, failure
    return len(checks), None
