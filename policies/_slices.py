"""The policy set sliced by resource scope, each slice pre-parsed once.

Cedar's evaluation is linear in the policies it is given, so each compiled policy is filed
under what it targets: an integration, a resource or a bundle (its `resource in ...`
scope), a tag or a resource type, or the unscoped slice for policies that could apply
anywhere. Tags, types and bundles are the requested resource's own, as `policies.entities`
sends them. A decision is given only the slices of the resource, its ancestors, its
bundles, its tags and type and the unscoped one, merged into one policy set that is cached
until one of its slices changes. A flow change re-parses only the slices it touches.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import cedarpy

from policies.compiler import CompiledFlow
from policies.entities import Resource
from policies.flows import FlowInvalid

SliceKey = tuple[str, str]
UNSCOPED: SliceKey = ("*", "")
# What a slice can be keyed by: an entity of the resource chain, or one of the resource's
# tags or its type (for policies that target those); any other policy is unscoped.
_SLICE_KINDS = ("Resource", "Integration", "Bundle", "tag", "type")
_MERGED_LIMIT = 4096
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


@dataclass(frozen=True)
class Merged:
    """The policies one decision is given, and the @id of each in Cedar's numbering."""

    parts: tuple[Slice, ...]
    policies: cedarpy.PolicySet
    policy_ids: tuple[str, ...]
    policy_flow: Mapping[str, str]
    zones: tuple[str, ...] = ()  # every time zone the policies read
    groups: frozenset[str] | None = frozenset()  # every group they mention; None: unknown
    reads_justification: bool = True  # else the context need not carry it


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
        if previous is not None:
            slices = index.slices
            self._merged = {
                keys: merged
                for keys, merged in previous._merged.items()
                if all(slices.get(part.key) is part for part in merged.parts)
            }

    def get(self, keys: tuple[SliceKey, ...] | None) -> Merged:
        """The merged set of the slices `keys`; None means every slice (unsliced)."""
        cache_key = _EVERYTHING if keys is None else keys
        merged = self._merged.get(cache_key)
        if merged is None:
            slices = self._index.slices
            merged = _merge(
                tuple(slices.values()) if keys is None else tuple(slices[k] for k in keys)
            )
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
    return Slice(key, filed, policies)


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
    ordered = [e for part in (base, *rest) for e in part.entries]
    policy_ids = tuple(pid for e in ordered for pid in e.policy_ids)
    assert len(policies) == len(policy_ids), "policy numbering drifted from the flows"
    flow_of = MappingProxyType({pid: e.flow for e in ordered for pid in e.policy_ids})
    zones = tuple(sorted({zone for e in ordered for zone in e.zones}))
    groups: frozenset[str] | None = None
    if all(e.groups is not None for e in ordered):
        groups = frozenset(g for e in ordered for g in e.groups or ())
    reads = any("context.justification" in e.text for e in ordered)
    return Merged(parts, policies, policy_ids, flow_of, zones, groups, reads)
