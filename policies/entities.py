"""What a decision is asked about, and its translation into a Cedar request and entities.

The caller (the broker) resolves the graph first: the principal arrives with every group
it is in, the resource with its ancestors. Nothing here reads the graph.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from json.encoder import encode_basestring_ascii
from types import MappingProxyType
from typing import Any, NamedTuple

import cedarpy

PRINCIPAL_KINDS = ("User", "ExternalUser")
RESOURCE_KINDS = ("Resource", "Integration")
_LONG = range(-(2**63), 2**63)  # Cedar's Long
_YEAR_3000 = 32_503_680_000.0  # Unix seconds: far enough, and every time zone can place it
_NO_PARENTS: Mapping[str, tuple[str, ...]] = MappingProxyType({})
# Every attribute a request's context can carry; a policy reads one only by naming it.
CONTEXT_ATTRS = frozenset(
    (
        "trigger",
        "permissions",
        "duration_minutes",
        "justification",
        "beneficiary",
        "beneficiary_report",
    )
)
_ALL_BUT_JUSTIFICATION = CONTEXT_ATTRS - {"justification"}
# The principal's attributes (`email`, `manager`): sent only when a policy names one.
PRINCIPAL_ATTRS = ("email", "manager")
_ACTION = {"type": "Action", "id": "request"}  # shared by every request, never changed


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
        """`groups` closed over `group_parents` (worked out once per principal)."""
        known: frozenset[str] | None = self.__dict__.get("_all_groups")
        if known is None:
            known = self._close_groups()
            object.__setattr__(self, "_all_groups", known)  # a cache, not a field
        return known

    def _close_groups(self) -> frozenset[str]:
        if not self.group_parents:
            return self.groups
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
    type: str = ""  # e.g. `postgres`; flows may target resources by type
    # Every bundle covering the resource or an ancestor, nested bundles flattened: they
    # become parents of the requested resource, so `resource in Bundle::"k"` holds.
    bundles: frozenset[str] = frozenset()

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
    # When the request is made (Unix seconds): time windows are judged at this moment.
    now: float = field(default_factory=time.time)
    # On whose behalf: None when requesters ask for themselves, else the user's key.
    beneficiary: str | None = None
    # The beneficiary reports directly to the requester (their REPORTS_TO manager).
    beneficiary_report: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.duration_minutes, bool) or self.duration_minutes not in _LONG:
            raise ValueError(f"duration `{self.duration_minutes}` is not a whole number")
        if self.beneficiary_report and self.beneficiary is None:
            raise ValueError("a request for oneself cannot be for one's report")
        if not 0 <= self.now < _YEAR_3000:  # also refuses NaN
            raise ValueError(f"request time `{self.now}` is not a moment between 1970 and 3000")


@dataclass(frozen=True)
class DecisionRequest:
    principal: Principal
    resource: Resource
    context: RequestContext


def cedar_request(request: DecisionRequest, *, justification: bool = True) -> dict[str, Any]:
    """The request for `cedarpy.is_authorized`; uids as dicts, so any key is safe. Without
    `justification` (no policy at hand reads it) the context leaves it out."""
    ctx = request.context
    context: dict[str, Any] = {
        "trigger": ctx.trigger,
        "permissions": sorted(set(ctx.permissions)),
        "duration_minutes": ctx.duration_minutes,
    }
    if justification:
        context["justification"] = ctx.justification.strip()
    if ctx.beneficiary is not None:  # for oneself, the common case, sends neither: each
        # context attribute costs Cedar about as much as evaluating a policy
        context["beneficiary"] = {"__entity": _uid("User", ctx.beneficiary)}
        context["beneficiary_report"] = ctx.beneficiary_report
    return {
        "principal": _uid(request.principal.kind, request.principal.key),
        "action": {"type": "Action", "id": "request"},
        "resource": _uid(request.resource.kind, request.resource.key),
        "context": context,
    }


def authorize(
    requests: Sequence[DecisionRequest],
    policies: cedarpy.PolicySet,
    entities: cedarpy.Entities,
    *,
    justification: bool = True,
    context_reads: frozenset[str] | None = None,
) -> list[cedarpy.AuthzResult]:
    """Cedar's decisions on `requests`. The same call as `cedarpy.is_authorized_batch`,
    minus its per-call copying: each context goes out as JSON text, put together once per
    distinct context, straight to the native extension. `context_reads` names the context
    attributes the policies read (None: all but the justification when `justification`
    is false); Cedar reads in every attribute it is sent, at several µs each."""
    if context_reads is None:
        context_reads = CONTEXT_ATTRS if justification else _ALL_BUT_JUSTIFICATION
    wire = [
        {
            "principal": _uid(request.principal.kind, request.principal.key),
            "action": _ACTION,
            "resource": _uid(request.resource.kind, request.resource.key),
            "context": context_json(request.context, context_reads),
        }
        for request in requests
    ]
    answers = cedarpy._internal.is_authorized_batch(wire, policies, entities._inner, None, False)
    return [cedarpy.AuthzResult(json.loads(_without_metrics(answer))) for answer in answers]


def context_json(context: RequestContext, reads: frozenset[str] = CONTEXT_ATTRS) -> str:
    """The context as Cedar JSON text, with only the attributes named in `reads`; as
    `cedar_request` builds it otherwise."""
    return _context_json(
        context.trigger,
        context.permissions,
        context.duration_minutes,
        context.justification,
        context.beneficiary,
        context.beneficiary_report,
        reads,
    )


@lru_cache(maxsize=4096)  # contexts repeat a lot: the same few triggers, durations, reasons
def _context_json(
    trigger: str,
    permissions: tuple[str, ...],
    duration: int,
    justification: str,
    beneficiary: str | None,
    report: bool,
    reads: frozenset[str],
) -> str:
    text = encode_basestring_ascii
    sent = []
    if "trigger" in reads:
        sent.append('"trigger":' + text(trigger))
    if "permissions" in reads:
        granted = ",".join(text(p) for p in sorted(set(permissions)))
        sent.append('"permissions":[' + granted + "]")
    if "duration_minutes" in reads:
        sent.append('"duration_minutes":' + str(int(duration)))
    if "justification" in reads:
        sent.append('"justification":' + text(justification.strip()))
    if beneficiary is not None:  # for oneself, the common case, sends neither
        if "beneficiary" in reads:
            sent.append('"beneficiary":{"__entity":{"type":"User","id":' + text(beneficiary) + "}}")
        if "beneficiary_report" in reads:
            sent.append('"beneficiary_report":' + ("true" if report else "false"))
    return "{" + ",".join(sent) + "}"


def _without_metrics(answer: str) -> str:
    """The answer minus its timing metrics (its last member, half its text), unread here;
    the whole answer when it is not laid out so."""
    cut = answer.rfind(',"metrics":{')
    head = answer[:cut]
    if cut > 0 and '"decision":' in head and '"diagnostics":{' in head and "]" not in answer[cut:]:
        return head + "}"
    return answer


def cedar_entities(request: DecisionRequest) -> str:
    """The entities the decision can see, as Cedar JSON: the principal, its groups, the
    resource and its ancestors, each with its direct parents so `in` works transitively."""
    return json.dumps(
        [*_principal_entities(request.principal), *_resource_entities(request.resource)]
    )


# --- the fast path: parsed once, reused ------------------------------------------------
# Parsing entity JSON costs Cedar more than evaluating a sliced policy set, so each
# principal and each resource is one entity with its whole ancestry as direct parents,
# serialised once; a person's second decision adds the resource to their parsed handle.

# (kind, key, email, groups, manager); email None: the principal's attributes are left out.
_PrincipalKey = tuple[str, str, str | None, frozenset[str], str | None]


def principal_key(
    principal: Principal, relevant_groups: frozenset[str] | None = None, *, attrs: bool = True
) -> _PrincipalKey:
    """Everything the principal's entities depend on, hashable (its cache key). With
    `relevant_groups` (the groups the policies at hand mention), only those are kept:
    Cedar cannot tell the difference, and has fewer parents to close over. Without
    `attrs` (no policy at hand names `email` or `manager`) the attributes are left out."""
    groups = principal.all_groups() if principal.group_parents else principal.groups
    if relevant_groups is not None:
        groups = groups & relevant_groups
    if not attrs:
        return (principal.kind, principal.key, None, groups, None)
    return (principal.kind, principal.key, principal.email, groups, principal.manager)


@lru_cache(maxsize=4096)
def principal_handle(key: _PrincipalKey) -> cedarpy.Entities:
    """The principal `key` describes as parsed entities; raises ValueError if Cedar cannot
    read them. Every group, nested ones included, is a direct parent of the principal and
    groups are left out: `principal in Group::...` then holds exactly as with the nesting
    spelled out, and Cedar has one entity to parse instead of one per group."""
    return cedarpy.Entities.from_json_str("[" + _principal_json(key) + "]")


def _principal_json(key: _PrincipalKey) -> str:
    """The principal's entity as JSON text, put together from escaped strings: a new
    person's every decision pays for this, and `json.dumps` of the nested dict costs more."""
    kind, name, email, groups, manager = key
    text = encode_basestring_ascii  # what json.dumps does to a string, minus its overhead
    attrs = "" if email is None else '"email":' + text(email)
    if manager is not None:
        attrs += ',"manager":{"__entity":{"type":"User","id":' + text(manager) + "}}"
    parents = ",".join('{"type":"Group","id":' + text(g) + "}" for g in sorted(groups))
    uid = '{"type":' + text(kind) + ',"id":' + text(name) + "}"
    return '{"uid":' + uid + ',"attrs":{' + attrs + '},"parents":[' + parents + "]}"


class Fragment(NamedTuple):
    """The requested resource's entity as Cedar JSON, and its uid."""

    uid: tuple[str, str]
    text: str


@lru_cache(maxsize=16384)
def resource_fragments(resource: Resource) -> tuple[Fragment, ...]:
    """The requested resource as Cedar JSON: one entity, with every ancestor and bundle as
    a direct parent, as the principal has its groups. Policies only ask `resource in ...`
    of an ancestor and read the requested resource's attributes alone, so this decides as
    the spelled-out chain (`cedar_entities`) does, and Cedar parses one entity, not four."""
    attrs: dict[str, Any] = {"tags": sorted(resource.tags)} if resource.tags else {}
    if resource.type:
        attrs["type"] = resource.type
    parents = [*resource.ancestors, *(("Bundle", b) for b in sorted(resource.bundles))]
    entity = _entity(resource.kind, resource.key, attrs, parents)
    uid = (resource.kind, resource.key)
    return (Fragment(uid, json.dumps(entity)),)


def request_entities(
    request: DecisionRequest,
    extra: tuple[str, ...] = (),
    relevant_groups: frozenset[str] | None = None,
    *,
    principal_attrs: bool = True,
) -> cedarpy.Entities:
    """The entities of one decision, plus the `extra` entity JSON objects; cached, since
    the same person asking for the same thing again is common. The cache key is the
    entities' content, so a changed membership or resource is a new entry, never stale."""
    key = principal_key(request.principal, relevant_groups, attrs=principal_attrs)
    return _request_entities(key, request.resource, extra)


@lru_cache(maxsize=4096)
def _request_entities(
    key: _PrincipalKey, resource: Resource, extra: tuple[str, ...]
) -> cedarpy.Entities:
    # The resource's parsed handle plus the principal (and clocks): the principal alone
    # is the smaller parse, and resources repeat far more than people do.
    delta = ",".join([_principal_json(key), *extra])
    return resource_handle(resource).with_added_json_str("[" + delta + "]")


@lru_cache(maxsize=16384)
def resource_handle(resource: Resource) -> cedarpy.Entities:
    """The requested resource's entity, parsed; raises ValueError if Cedar cannot read it."""
    fragments = [fragment.text for fragment in resource_fragments(resource)]
    return cedarpy.Entities.from_json_str("[" + ",".join(fragments) + "]")


def entities_handle(
    principal: Principal,
    fragments: Iterable[str],
    relevant_groups: frozenset[str] | None = None,
    *,
    principal_attrs: bool = True,
) -> cedarpy.Entities:
    """The principal's cached handle plus the given entity JSON objects."""
    base = principal_handle(principal_key(principal, relevant_groups, attrs=principal_attrs))
    return base.with_added_json_str("[" + ",".join(fragments) + "]")


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


def _resource_entities(resource: Resource) -> list[dict[str, Any]]:
    chain = [(resource.kind, resource.key), *resource.ancestors]
    entities = []
    for position, (kind, key) in enumerate(chain):
        attrs: dict[str, Any] = {}
        if position == 0:
            attrs["tags"] = sorted(resource.tags)
            if resource.type:
                attrs["type"] = resource.type
        parents = chain[position + 1 : position + 2]
        if position == 0:
            parents += [("Bundle", bundle) for bundle in sorted(resource.bundles)]
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
