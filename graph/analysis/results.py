"""What the access-graph analyses return: the same frozen values from every backend.

Where several routes lead to the same place, an analysis reports one canonical route:
the shortest, and among equally short ones the one whose node keys sort first. So two
backends (and two runs) always agree on the route they show.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from graph.values import NodeRef

MAX_NESTING = 10
"""The longest chain of MEMBER_OF (groups in groups) or PART_OF edges an analysis follows."""


@dataclass(frozen=True)
class AccessPath:
    """A walk from an identity to a resource: `edges[i]` joins `nodes[i]` and `nodes[i + 1]`.

    MEMBER_OF and HAS_ACCESS are walked along their direction, PART_OF against it (from a
    parent resource or integration down to the resource inside it).
    """

    nodes: tuple[NodeRef, ...]
    edges: tuple[str, ...]


@dataclass(frozen=True)
class Access:
    """One grant that lets `identity` reach `resource` now, and how."""

    identity: NodeRef
    resource: NodeRef
    grant: str  # the HAS_ACCESS edge's key
    holder: NodeRef  # who holds the grant: the identity itself or one of its groups
    granted_on: NodeRef  # what the grant names: the resource or one of its ancestors
    groups: tuple[str, ...]  # the group chain from the identity up to the holder
    parents: tuple[NodeRef, ...]  # ancestors from the resource up to `granted_on`
    permissions: tuple[str, ...]
    standing: bool  # found by sync, not granted just in time
    expires_at: float | None

    @property
    def through_groups(self) -> bool:
        return bool(self.groups)

    @property
    def inherited(self) -> bool:
        """True when the grant names a parent resource or integration of the resource."""
        return bool(self.parents)

    @property
    def path(self) -> AccessPath:
        down = (*tuple(reversed(self.parents[:-1])), self.resource) if self.parents else ()
        nodes = (
            self.identity,
            *tuple(NodeRef("Group", key) for key in self.groups),
            self.granted_on,
            *down,
        )
        edges = ("MEMBER_OF",) * len(self.groups) + ("HAS_ACCESS",) + ("PART_OF",) * len(down)
        return AccessPath(nodes, edges)


@dataclass(frozen=True)
class Requester:
    """An identity an enabled access flow lets request a resource."""

    identity: NodeRef
    flow: str
    groups: tuple[str, ...] = ()  # the group chain to the principal the flow allows
    everyone: bool = False  # the flow is open to every active user


@dataclass(frozen=True)
class BlastRadius:
    """What an identity reaches now: resources in all, and per integration and per tag."""

    identity: NodeRef
    resources: int
    per_integration: Mapping[str, int] = field(default_factory=dict)
    per_tag: Mapping[str, int] = field(default_factory=dict)


def blast_radius_of(
    identity: NodeRef, reached: Iterable[tuple[str, str | None, Iterable[str]]]
) -> BlastRadius:
    """Count distinct resources given as (key, integration key or None, tags)."""
    per_integration: dict[str, int] = {}
    per_tag: dict[str, int] = {}
    seen: set[str] = set()
    for key, integration, tags in reached:
        if key in seen:
            continue
        seen.add(key)
        if integration is not None:
            per_integration[integration] = per_integration.get(integration, 0) + 1
        for tag in set(tags):
            per_tag[tag] = per_tag.get(tag, 0) + 1
    return BlastRadius(
        identity,
        len(seen),
        MappingProxyType(dict(sorted(per_integration.items()))),
        MappingProxyType(dict(sorted(per_tag.items()))),
    )


def grant_terms(props: Mapping[str, Any]) -> tuple[tuple[str, ...], bool, float | None]:
    """A grant's permissions, whether it is standing, and its expiry, as Access holds them."""
    return (
        tuple(sorted(props.get("permissions") or [])),
        bool(props.get("standing", False)),
        props.get("expires_at"),
    )


def access_order(access: Access) -> tuple[str, str, str, str, str]:
    return (
        access.identity.kind,
        access.identity.key,
        access.resource.kind,
        access.resource.key,
        access.grant,
    )


def path_order(path: AccessPath) -> tuple[int, tuple[tuple[str, str], ...], tuple[str, ...]]:
    return (len(path.edges), tuple((n.kind, n.key) for n in path.nodes), path.edges)


def requester_order(requester: Requester) -> tuple[str, str, str]:
    return (requester.identity.kind, requester.identity.key, requester.flow)
