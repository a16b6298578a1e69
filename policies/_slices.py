"""The policy set sliced by resource scope, each slice pre-parsed once.

Cedar's evaluation is linear in the policies it is given, so each compiled policy is filed
under what it targets: an integration, a resource or a bundle (its `resource in ...`
scope), a tag or a resource type, or the unscoped slice for policies that could apply
anywhere. Tags, types and bundles are the requested resource's own, as `policies.entities`
sends them. A decision is given only the slices of the resource, its ancestors, its
bundles, its tags and type and the unscoped one, merged into one policy set that is cached
until one of its slices changes. A flow change re-parses only the slices it touches.

Parsing is what costs (a quarter of a millisecond per policy), so slices are merged only
for a scope asked about twice; the first decision evaluates each slice on its own and
combines the answers as Cedar would (`policies._outcomes`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType

import cedarpy

from policies.compiler import CompiledFlow
from policies.entities import CONTEXT_ATTRS, PRINCIPAL_ATTRS, Resource
from policies.flows import FlowInvalid

SliceKey = tuple[str, str]
UNSCOPED: SliceKey = ("*", "")
# What a slice can be keyed by: an entity of the resource chain, or one of the resource's
# tags or its type (for policies that target those); any other policy is unscoped.
_SLICE_KINDS = ("Resource", "Integration", "Bundle", "tag", "type")
_MERGED_LIMIT = 4096
# A resource scope's slices are parsed together from its second decision on.
_MERGE_FROM = 2
_EVERYTHING: tuple[SliceKey, ...] = (("**", ""),)


@dataclass(frozen=True)
class _Entry:
    flow: str  # the flow key, or `forbid:<key>` for a forbid rule
    policy_ids: tuple[str, ...]
    text: str
    zones: tuple[str, ...] = ()
    groups: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Slice:
    key: SliceKey
    entries: tuple[_Entry, ...]
    policies: cedarpy.PolicySet

    @cached_property
    def alone(self) -> Merged:
        """The slice by itself, as a decision is given it."""
        return _summarise((self,), self.policies, self.entries)


@dataclass(frozen=True)
class Merged:
    """The policies one decision is given, and the @id of each in Cedar's numbering.

    `policies` is None for slices met for the first time: each part is then evaluated
    on its own (one Cedar call per part) rather than paying to parse them together, which
    costs far more for a resource scope that may never be asked about again.
    """

    parts: tuple[Slice, ...]
    policies: cedarpy.PolicySet | None
    policy_ids: tuple[str, ...]
    policy_flow: Mapping[str, str]
    zones: tuple[str, ...] = ()  # every time zone the policies read
    groups: frozenset[str] | None = frozenset()  # every group they mention; None: unknown
    # The context attributes the policies name: the others need not be sent.
    context_reads: frozenset[str] = CONTEXT_ATTRS
    principal_attrs: bool = True  # whether any names the principal's email or manager

    @property
    def reads_justification(self) -> bool:
        return "justification" in self.context_reads


_EMPTY = Merged((), cedarpy.PolicySet.from_str(""), (), MappingProxyType({}))


def entries(compiled: CompiledFlow) -> dict[SliceKey, list[_Entry]]:
    """The compiled flow's policies by the slice each belongs in."""
    n, owner, zones, groups = (
        len(compiled.policy_ids),
        compiled.key,
        compiled.zones,
        compiled.groups,
    )
    filed: dict[SliceKey, list[_Entry]] = {}
    if n and len(compiled.targets) == len(compiled.texts) == n:
        for policy_id, target, text in zip(
            compiled.policy_ids, compiled.targets, compiled.texts, strict=True
        ):
            key = target if target[0] in _SLICE_KINDS else UNSCOPED
            filed.setdefault(key, []).append(_Entry(owner, (policy_id,), text, zones, groups))
    elif compiled.text.strip():  # text without a target per policy: applies anywhere
        filed[UNSCOPED] = [_Entry(owner, compiled.policy_ids, compiled.text, zones, groups)]
    return filed


class SliceIndex:
    """Immutable: `replaced` returns a new index sharing every untouched slice."""

    def __init__(self, slices: Mapping[SliceKey, Slice]) -> None:
        self.slices = slices

    @classmethod
    def build(cls, compiled: Iterable[CompiledFlow]) -> SliceIndex:
        grouped: dict[SliceKey, list[_Entry]] = {}
        for flow in compiled:
            for key, filed in entries(flow).items():
                grouped.setdefault(key, []).extend(filed)
        return cls({key: _parse(key, tuple(filed)) for key, filed in grouped.items()})

    def replaced(
        self, flow_key: str, old: CompiledFlow | None, new: CompiledFlow | None
    ) -> SliceIndex:
        """This index with flow `flow_key`'s policies swapped from `old` to `new`."""
        added = entries(new) if new is not None else {}
        touched = set(added) | (set(entries(old)) if old is not None else set())
        slices = dict(self.slices)
        for key in touched:
            current = slices[key].entries if key in slices else ()
            kept = [e for e in current if e.flow != flow_key]
            kept += added.get(key, [])
            if kept:
                slices[key] = _parse(key, tuple(kept))
            else:
                slices.pop(key, None)
        return SliceIndex(slices)

    def keys_for(self, resource: Resource) -> tuple[SliceKey, ...]:
        """The slices that could hold a policy applying to `resource`."""
        keys = [(resource.kind, resource.key), *resource.ancestors, UNSCOPED]
        keys += [("Bundle", bundle) for bundle in sorted(resource.bundles)]
        keys += [("tag", tag) for tag in sorted(resource.tags)]
        if resource.type:
            keys.append(("type", resource.type))
        return tuple(key for key in keys if key in self.slices)


class MergedCache:
    """Merged policy sets by the slice keys they hold; survives flow changes for the
    entries whose slices did not change."""

    def __init__(self, index: SliceIndex, previous: MergedCache | None = None) -> None:
        self._index = index
        self._merged: dict[tuple[SliceKey, ...], Merged] = {}
        self._seen: dict[tuple[SliceKey, ...], int] = {}  # times asked for, not yet merged
        if previous is not None:
            slices = index.slices
            self._merged = {
                keys: merged
                for keys, merged in previous._merged.items()
                if all(slices.get(part.key) is part for part in merged.parts)
            }

    def get(self, keys: tuple[SliceKey, ...] | None) -> Merged:
        """The merged set of the slices `keys`; None means every slice (unsliced). The
        first time a set of several slices is asked for, it comes unmerged."""
        cache_key = _EVERYTHING if keys is None else keys
        merged = self._merged.get(cache_key)
        if merged is None:
            slices = self._index.slices
            parts = tuple(slices.values()) if keys is None else tuple(slices[k] for k in keys)
            if len(parts) == 1:
                return parts[0].alone
            seen = self._seen.get(cache_key, 0) + 1
            if keys is not None and seen < _MERGE_FROM:
                if len(self._seen) >= _MERGED_LIMIT:
                    self._seen.clear()
                self._seen[cache_key] = seen
                return _unmerged(parts)
            self._seen.pop(cache_key, None)
            merged = _merge(parts)
            if len(self._merged) >= _MERGED_LIMIT:
                self._merged.clear()
            self._merged[cache_key] = merged
        return merged


def _parse(key: SliceKey, filed: tuple[_Entry, ...]) -> Slice:
    text = "\n".join(e.text for e in filed)
    try:
        policies = cedarpy.PolicySet.from_str(text)
    except ValueError as exc:  # each flow was validated alone; failing together is a bug
        raise FlowInvalid(f"the access flows cannot be loaded together: {exc}") from exc
    part = Slice(key, filed, policies)
    part.alone  # noqa: B018  worked out now, while flows change, not in a decision
    return part


def _merge(parts: tuple[Slice, ...]) -> Merged:
    """One policy set of `parts`: the largest slice's handle plus the others' text."""
    if not parts:
        return _EMPTY
    base = max(parts, key=lambda part: len(part.entries))
    rest = [part for part in parts if part is not base]
    text = "\n".join(e.text for part in rest for e in part.entries)
    try:
        policies = base.policies.with_added_str(text) if text else base.policies
    except ValueError as exc:
        raise FlowInvalid(f"the access flows cannot be loaded together: {exc}") from exc
    merged = _unmerged((base, *rest), policies)
    assert len(policies) == len(merged.policy_ids), "policy numbering drifted from the flows"
    return merged


def _unmerged(parts: tuple[Slice, ...], policies: cedarpy.PolicySet | None = None) -> Merged:
    """What `parts` hold together, from each slice's summary, without parsing anything."""
    summaries = [part.alone for part in parts]
    groups: frozenset[str] | None = frozenset()
    for summary in summaries:
        groups = None if groups is None or summary.groups is None else groups | summary.groups
    return Merged(
        parts,
        policies,
        tuple(pid for summary in summaries for pid in summary.policy_ids),
        MappingProxyType({k: v for summary in summaries for k, v in summary.policy_flow.items()}),
        tuple(sorted({zone for summary in summaries for zone in summary.zones})),
        groups,
        frozenset().union(*(summary.context_reads for summary in summaries)),
        any(summary.principal_attrs for summary in summaries),
    )


def _summarise(
    parts: tuple[Slice, ...], policies: cedarpy.PolicySet, filed: tuple[_Entry, ...]
) -> Merged:
    policy_ids = tuple(pid for e in filed for pid in e.policy_ids)
    flow_of = MappingProxyType({pid: e.flow for e in filed for pid in e.policy_ids})
    zones = tuple(sorted({zone for e in filed for zone in e.zones}))
    groups: frozenset[str] | None = None
    if all(e.groups is not None for e in filed):
        groups = frozenset(g for e in filed for g in e.groups or ())
    # A policy cannot read an attribute without naming it, so a name found nowhere in the
    # text is safe to leave out (a flow key that happens to contain it only costs time).
    texts = [e.text for e in filed]
    reads = frozenset(name for name in CONTEXT_ATTRS if any(name in t for t in texts))
    principal_attrs = any(name in t for t in texts for name in PRINCIPAL_ATTRS)
    return Merged(parts, policies, policy_ids, flow_of, zones, groups, reads, principal_attrs)
