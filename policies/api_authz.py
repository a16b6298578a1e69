"""API authorization: may this caller call this operation on this object?

The answers live in `api.cedar`, validated against `api.cedarschema`; this module parses
them once, turns a caller and a target into Cedar entities, and words every deny. Deny by
default: an unknown operation, an unknown role or a policy that errors never allows.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.resources import files
from typing import Any

import cedarpy

POLICY_FILE = "api.cedar"
SCHEMA_FILE = "api.cedarschema"
API_KEY = "keyturn"
ROLES = ("admin", "grantee", "auditor")
_DECIDING = ("approve", "reject")
_SELF_DECISION = "api:no-self-decision"
_BENEFICIARY_DECISION = "api:no-beneficiary-decision"

# What each operation does, in words for a deny: "only admins may <this>".
_DOING: Mapping[str, str] = {
    "manageFlows": "manage access flows",
    "analyzeFlows": "analyse access flows and read their compiled Cedar",
    "manageUsers": "manage users",
    "viewUsers": "see the list of users",
    "viewFlows": "see access flows",
    "viewAllGrants": "see everyone's grants",
    "viewAuditLog": "read the activity log",
    "queryGraph": "query the access graph",
    "issueToken": "issue API tokens for someone else",
    "requestAccess": "request access",
    "viewSelf": "see someone else's profile, requests and grants",
    "viewRequest": "see someone else's requests",
    "revoke": "revoke someone else's access",
    "extend": "extend someone else's access",
    "completeTask": "complete tasks assigned to someone else",
    "manageIntegrations": "manage integrations",
    "approve": "approve requests",
    "reject": "reject requests",
    "cancel": "cancel someone else's request",
    "manageBundles": "manage bundles",
}
ACTIONS = tuple(_DOING)


# Decisions without a context kept per authorizer: a few per caller and operation, and a
# bounded memory however many requests (each its own target) pass.
DECISIONS_KEPT = 4096


class AuthorizationSetupError(RuntimeError):
    """The packaged API policies do not parse or do not match their schema (a bug)."""


@dataclass(frozen=True)
class Caller:
    """Who calls: a user with a role (and, for approvals, every group they are in), or an
    external requester with the access link they arrived by."""

    key: str
    kind: str = "User"
    role: str = ""
    groups: frozenset[str] = frozenset()
    link: str = ""

    def __post_init__(self) -> None:
        if self.kind not in ("User", "ExternalUser"):
            raise ValueError(f"caller kind `{self.kind}` must be User or ExternalUser")


@dataclass(frozen=True)
class Target:
    """What the operation acts on. For an AccessRequest: who asked (None for an external
    requester), its flow, the approvers of its current step (named users and the manager,
    plus the escalation tier once escalated) and, when someone asked on their behalf, the
    beneficiary."""

    kind: str
    key: str
    requester: str | None = None
    flow: str = ""
    approvers: frozenset[str] = frozenset()
    approver_groups: frozenset[str] = frozenset()
    beneficiary: str | None = None
    assignees: frozenset[str] = frozenset()  # a Task's: who may mark it done

    @classmethod
    def api(cls) -> Target:
        return cls("Api", API_KEY)

    @classmethod
    def user(cls, key: str) -> Target:
        return cls("User", key)

    @classmethod
    def access_flow(cls, key: str) -> Target:
        return cls("AccessFlow", key)

    @classmethod
    def task(cls, key: str, *, assignees: frozenset[str]) -> Target:
        return cls("Task", key, assignees=assignees)

    @classmethod
    def integration(cls, key: str) -> Target:
        return cls("Integration", key)

    @classmethod
    def access_link(cls, key: str) -> Target:
        return cls("AccessLink", key)

    @classmethod
    def access_request(
        cls,
        key: str,
        *,
        requester: str | None,
        flow: str,
        approvers: frozenset[str] = frozenset(),
        approver_groups: frozenset[str] = frozenset(),
        beneficiary: str | None = None,
    ) -> Target:
        return cls("AccessRequest", key, requester, flow, approvers, approver_groups, beneficiary)


@dataclass(frozen=True)
class ApiDecision:
    """Allowed or not, the `@id`s of the policies that decided, and why not in words."""

    allowed: bool
    policy_ids: tuple[str, ...] = ()
    reason: str = ""  # set on a deny only
    errors: tuple[str, ...] = ()


@cache
def api_policy_text() -> str:
    return files("policies").joinpath(POLICY_FILE).read_text(encoding="utf-8")


@cache
def api_schema() -> cedarpy.Schema:
    return cedarpy.Schema.from_str(files("policies").joinpath(SCHEMA_FILE).read_text("utf-8"))


@cache
def _policies() -> cedarpy.PolicySet:
    """The API policies, validated and parsed once per process."""
    text = api_policy_text()
    result = cedarpy.validate_policies(text, api_schema())
    if not result.validation_passed:
        found = "; ".join(str(e) for e in result.errors)
        raise AuthorizationSetupError(f"`{POLICY_FILE}` does not match its schema: {found}")
    return cedarpy.PolicySet.from_str(text)


class ApiAuthorizer:
    """Decides API calls against `api.cedar`. Stateless past construction; thread-safe."""

    def __init__(self, policies: cedarpy.PolicySet | None = None) -> None:
        self._policies = _policies() if policies is None else policies
        # A decision is a function of the policies (fixed here) and of its inputs alone, all
        # of them in the key: a caller whose role or groups change, or a request whose
        # approvers do, is a different key, so nothing kept is ever stale.
        self._decided = lru_cache(maxsize=DECISIONS_KEPT)(self._decide)

    def authorize(
        self,
        principal: Caller,
        action: str,
        resource: Target,
        context: Mapping[str, Any] | None = None,
    ) -> ApiDecision:
        if context:
            return self._decide(principal, action, resource, context)
        return self._decided(principal, action, resource)

    def _decide(
        self,
        principal: Caller,
        action: str,
        resource: Target,
        context: Mapping[str, Any] | None = None,
    ) -> ApiDecision:
        if action not in _DOING:
            return ApiDecision(False, reason=f"`{action}` is not an operation of the Keyturn API")
        result = self._evaluate(principal, action, resource, context)
        if isinstance(result, str):
            return ApiDecision(False, reason=_could_not_decide(action, result), errors=(result,))
        diagnostics = result.diagnostics
        by_reason = diagnostics.id_annotations_by_reason
        ids = tuple(sorted(by_reason.get(p, p) for p in diagnostics.reasons))
        errors = tuple(str(e) for e in diagnostics.errors)
        if result.decision is cedarpy.Decision.Allow:
            return ApiDecision(True, ids, errors=errors)
        if result.decision is cedarpy.Decision.NoDecision:
            why = "; ".join(errors)
            return ApiDecision(False, ids, _could_not_decide(action, why), errors)
        return ApiDecision(False, ids, self._deny_reason(principal, action, resource, ids), errors)

    def _evaluate(
        self,
        principal: Caller,
        action: str,
        resource: Target,
        context: Mapping[str, Any] | None,
    ) -> cedarpy.AuthzResult | str:
        request = {
            "principal": _uid(principal.kind, principal.key),
            "action": {"type": "Action", "id": action},
            "resource": _uid(resource.kind, resource.key),
            "context": dict(context or {}),
        }
        try:
            entities = cedarpy.Entities.from_json_str(json.dumps(_entities(principal, resource)))
            return cedarpy.is_authorized(request, self._policies, entities)
        except (ValueError, UnicodeError) as exc:
            return str(exc)

    def _deny_reason(
        self, principal: Caller, action: str, resource: Target, ids: tuple[str, ...]
    ) -> str:
        if _SELF_DECISION in ids:
            return f"you cannot {action} your own request `{resource.key}`"
        if _BENEFICIARY_DECISION in ids:
            return f"you cannot {action} request `{resource.key}`, which asks access for you"
        if action in _DECIDING:
            return (
                f"you are not an approver of flow `{resource.flow}`, which decides request "
                f"`{resource.key}`"
            )
        if action == "viewRequest":
            return f"request `{resource.key}` is neither yours nor one you approve"
        roles = [r for r in ROLES if self._role_may(r, principal, action, resource)]
        if not roles:
            return f"no one may {_DOING[action]}"
        return f"only {' and '.join(r + 's' for r in roles)} may {_DOING[action]}"

    def _role_may(self, role: str, principal: Caller, action: str, resource: Target) -> bool:
        """Would a user with `role` (and otherwise like the caller) be allowed? Asked of the
        policies themselves, so a deny names the roles `api.cedar` really permits."""
        stand_in = Caller(f"{principal.key} as {role}", "User", role, principal.groups)
        result = self._evaluate(stand_in, action, resource, None)
        return not isinstance(result, str) and result.allowed


def _could_not_decide(action: str, why: str) -> str:
    return f"`{action}` is refused: the API policies could not decide ({why})"


def _uid(kind: str, key: str) -> dict[str, str]:
    return {"type": kind, "id": key}


def _entity(kind: str, key: str, attrs: dict[str, Any], parents: list[dict[str, str]]) -> Any:
    return {"uid": _uid(kind, key), "attrs": attrs, "parents": parents}


def _entities(principal: Caller, resource: Target) -> list[Any]:
    if principal.kind == "User":
        parents = [_uid("Role", principal.role)] if principal.role else []
        parents += [_uid("Group", g) for g in sorted(principal.groups)]
        found = [_entity("User", principal.key, {}, parents)]
    else:
        link = {"__entity": _uid("AccessLink", principal.link)}
        found = [_entity("ExternalUser", principal.key, {"link": link}, [])]
    if resource.kind == "AccessRequest":
        found += _request_entities(resource)
    elif resource.kind == "AccessFlow":
        found.append(_entity("AccessFlow", resource.key, _flow_attrs(resource), []))
    elif resource.kind == "Task":
        assignees = [{"__entity": _uid("User", u)} for u in sorted(resource.assignees)]
        found.append(_entity("Task", resource.key, {"assignees": assignees}, []))
    elif (resource.kind, resource.key) != (principal.kind, principal.key):
        found.append(_entity(resource.kind, resource.key, {}, []))
    return found


def _flow_attrs(target: Target) -> dict[str, Any]:
    return {
        "approvers": [{"__entity": _uid("User", u)} for u in sorted(target.approvers)],
        "approver_groups": [{"__entity": _uid("Group", g)} for g in sorted(target.approver_groups)],
    }


def _request_entities(request: Target) -> list[Any]:
    attrs: dict[str, Any] = {"flow": {"__entity": _uid("AccessFlow", request.flow)}}
    if request.requester is not None:
        attrs["requester"] = {"__entity": _uid("User", request.requester)}
    if request.beneficiary is not None:
        attrs["beneficiary"] = {"__entity": _uid("User", request.beneficiary)}
    return [
        _entity("AccessRequest", request.key, attrs, []),
        _entity("AccessFlow", request.flow, _flow_attrs(request), []),
    ]
