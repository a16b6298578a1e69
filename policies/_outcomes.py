"""Cedar's answers in the engine's terms: the @ids that decided and errors in words, for
one policy set or for slices evaluated one by one and combined as Cedar combines them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import cedarpy

from policies._slices import Merged
from policies.entities import DecisionRequest, authorize


@dataclass(frozen=True)
class Outcome:
    """Cedar's answer to one request: the @ids that decided (sorted), errors in words."""

    decision: cedarpy.Decision
    determining: tuple[str, ...]
    errors: tuple[str, ...]


def evaluate(
    requests: list[DecisionRequest], merged: Merged, entities: cedarpy.Entities
) -> list[Outcome]:
    """Cedar's answers to `requests` under `merged`'s policies: one call, or one per part
    when the parts were not parsed together, combined as Cedar combines policies."""
    reads = merged.context_reads
    if merged.policies is not None:
        results = authorize(requests, merged.policies, entities, context_reads=reads)
        return [_outcome(result, merged.policy_ids) for result in results]
    per_part = [
        [
            _outcome(result, part.alone.policy_ids)
            for result in authorize(requests, part.policies, entities, context_reads=reads)
        ]
        for part in merged.parts
    ]
    return [_combined(answers) for answers in zip(*per_part, strict=True)]


def _outcome(result: cedarpy.AuthzResult, policy_ids: tuple[str, ...]) -> Outcome:
    diagnostics = result.diagnostics
    by_reason = diagnostics.id_annotations_by_reason
    errors = tuple(_name_policies(e, policy_ids) for e in diagnostics.errors)
    # every compiled policy has an @id; one without keeps Cedar's name, so a satisfied
    # forbid can never vanish from a combined answer
    determining = tuple(sorted(by_reason.get(p, p) for p in diagnostics.reasons))
    return Outcome(result.decision, determining, errors)


def _combined(outcomes: Sequence[Outcome]) -> Outcome:
    """The answer to all the parts' policies at once, from each part's: a satisfied forbid
    anywhere denies (naming every satisfied forbid), else a satisfied permit anywhere
    allows (naming every satisfied permit), else the default deny."""
    errors = tuple(error for outcome in outcomes for error in outcome.errors)
    if any(outcome.decision is cedarpy.Decision.NoDecision for outcome in outcomes):
        return Outcome(cedarpy.Decision.NoDecision, (), errors)
    denied = [outcome for outcome in outcomes if outcome.decision is cedarpy.Decision.Deny]
    forbidding = tuple(sorted(pid for outcome in denied for pid in outcome.determining))
    if forbidding:
        return Outcome(cedarpy.Decision.Deny, forbidding, errors)
    allowed = [outcome for outcome in outcomes if outcome.decision is cedarpy.Decision.Allow]
    permitting = tuple(sorted(pid for outcome in allowed for pid in outcome.determining))
    decision = cedarpy.Decision.Allow if allowed else cedarpy.Decision.Deny
    return Outcome(decision, permitting, errors)


def _name_policies(error: str, policy_ids: tuple[str, ...]) -> str:
    """Cedar's `policy7` in an error becomes the policy's @id."""

    def named(match: re.Match[str]) -> str:
        position = int(match.group(1))
        return f"`{policy_ids[position]}`" if position < len(policy_ids) else match.group()

    return re.sub(r"`policy(\d+)`", named, error)
