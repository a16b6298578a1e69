"""What a decision is asked about, and its translation into a Cedar request and entities.

The caller (the broker) resolves the graph first: the principal arrives with every group
it is in, the resource with its ancestors. Nothing here reads the graph.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

PRINCIPAL_KINDS = ("User", "ExternalUser")
RESOURCE_KINDS = ("Resource", "Integration")
_LONG = range(-(2**63), 2**63)  # Cedar's Long
_NO_PARENTS: Mapping[str, tuple[str, ...]] = MappingProxyType({})


@dataclass(frozen=True)
class Principal:
    """Who asks. `groups` holds every group the principal is in, nested ones included."""

    key: str
    email: str
    kind: str = "User"
    groups: frozenset[str] = frozenset()
    manager: str | None = None
    # Optional group nesting (group -> its direct parent groups); Cedar follows it too.
    group_parents: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: _NO_PARENTS)

    def __post_init__(self) -> None:
        if self.kind not in PRINCIPAL_KINDS:
            raise ValueError(f"principal kind `{self.kind}` must be User or ExternalUser")
        if self.kind == "ExternalUser" and (self.groups or self.manager is not None):
            raise ValueError(f"external user `{self.key}` cannot have groups or a manager")

    def all_groups(self) -> frozenset[str]:
        """`groups` closed over `group_parents`."""
        seen = set(self.groups)
        todo = list(self.groups)
        while todo:
            for parent in self.group_parents.get(todo.pop(), ()):
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        return frozenset(seen)


@dataclass(frozen=True)
class Resource:
    """What is asked for: a resource or a whole integration.

    `ancestors` are (kind, key) pairs, nearest first: parent resources, then the
    integration.
    """

    key: str
    kind: str = "Resource"
    ancestors: tuple[tuple[str, str], ...] = ()
    tags: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.kind not in RESOURCE_KINDS:
            raise ValueError(f"resource kind `{self.kind}` must be Resource or Integration")
        chain = [(self.kind, self.key), *self.ancestors]
        if len(set(chain)) != len(chain):
            raise ValueError(f"resource `{self.key}` appears twice in its own ancestry")
        kinds = [kind for kind, _ in chain]
        # Only resources have parents, so an integration can only end the chain.
        if "Integration" in kinds[:-1] or any(k not in RESOURCE_KINDS for k in kinds):
            raise ValueError(
                f"resource `{self.key}` ancestors must be resources, then one integration"
            )


@dataclass(frozen=True)
class RequestContext:
    """How and for what the request was made. The justification is judged trimmed."""

    trigger: str
    permissions: tuple[str, ...]
    duration_minutes: int
    justification: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.duration_minutes, bool) or self.duration_minutes not in _LONG:
            raise ValueError(f"duration `{self.duration_minutes}` is not a whole number")


@dataclass(frozen=True)
class DecisionRequest:
    principal: Principal
    resource: Resource
    context: RequestContext


def cedar_request(request: DecisionRequest) -> dict[str, Any]:
    """The request for `cedarpy.is_authorized`; uids as dicts, so any key is safe."""
    ctx = request.context
    return {
        "principal": _uid(request.principal.kind, request.principal.key),
        "action": {"type": "Action", "id": "request"},
        "resource": _uid(request.resource.kind, request.resource.key),
        "context": {
            "trigger": ctx.trigger,
            "permissions": sorted(set(ctx.permissions)),
            "duration_minutes": ctx.duration_minutes,
            "justification": ctx.justification.strip(),
        },
    }


def cedar_entities(request: DecisionRequest) -> str:
    """The entities the decision can see, as Cedar JSON: the principal, its groups, the
    resource and its ancestors, each with its direct parents so `in` works transitively."""
    return json.dumps([*_principal_entities(request.principal), *_resource_entities(request)])


def _principal_entities(principal: Principal) -> list[dict[str, Any]]:
    attrs: dict[str, Any] = {"email": principal.email}
    if principal.manager is not None:
        attrs["manager"] = {"__entity": _uid("User", principal.manager)}
    entities = [
        _entity(principal.kind, principal.key, attrs, [("Group", g) for g in principal.groups])
    ]
    for group in sorted(principal.all_groups()):
        parents = [("Group", p) for p in principal.group_parents.get(group, ())]
        entities.append(_entity("Group", group, {}, parents))
    return entities


def _resource_entities(request: DecisionRequest) -> list[dict[str, Any]]:
    resource = request.resource
    chain = [(resource.kind, resource.key), *resource.ancestors]
    entities = []
    for position, (kind, key) in enumerate(chain):
        attrs = {"tags": sorted(resource.tags)} if position == 0 else {}
        parents = chain[position + 1 : position + 2]
        entities.append(_entity(kind, key, attrs, parents))
    return entities


def _entity(
    kind: str, key: str, attrs: dict[str, Any], parents: list[tuple[str, str]]
) -> dict[str, Any]:
    return {
        "uid": _uid(kind, key),
        "attrs": attrs,
        "parents": [_uid(k, v) for k, v in parents],
    }


def _uid(kind: str, key: str) -> dict[str, str]:
    return {"type": kind, "id": key}
