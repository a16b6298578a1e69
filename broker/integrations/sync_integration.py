"""Discovery: read what an integration's target holds into the access graph, in the style
of graph.sync (a run tag on all it writes, then a bounded cleanup of what it no longer saw).

A database server gives a Resource per database (`<integration>/<database>`) and schema
(`<integration>/<database>/<schema>`), and standing access: a login whose name is a
Keyturn user's key, or the part of it before `@`, becomes that user's HAS_ACCESS to the
integration with the permissions it holds there. Drift, a login Keyturn made whose grant
has ended, is reported and dropped.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from broker import audit
from broker._lookup import require_allowed
from broker._text import KEY, check_text
from broker.errors import DomainError, InvalidInput, NotFound
from broker.integrations._config import read_config
from broker.integrations._kinds import TargetKind, kind_of
from broker.integrations._target_data import Found, Login
from broker.integrations._webhook import IntegrationFailed
from broker.requests.states import RequestState
from broker.services import Services
from graph import Node, NodeRef, SetProps, UpsertEdge, UpsertNode
from graph.sync import SyncRun
from policies.api_authz import Target

_CLEANED = ("HAS_ACCESS", "PART_OF", "Resource")


class DiscoveryFailed(DomainError):
    """The target could not be reached or read; the message is the target's, secrets
    blanked, and is also recorded on the integration as its sync error."""

    code = "integration_failed"


@dataclass(frozen=True)
class DiscoveryReport:
    integration: str
    databases: int = 0
    schemas: int = 0
    standing: int = 0  # logins matched to users, now standing access
    unmatched: list[str] = field(default_factory=list)  # logins no Keyturn user matches
    drift_removed: list[str] = field(default_factory=list)
    removed: int = 0  # graph items the target no longer has


def sync_integration(services: Services, *, actor: str, key: str) -> DiscoveryReport:
    """Discover integration `key` now, as an admin; raises DiscoveryFailed (recorded on
    the integration as its sync error) when the target cannot be read."""
    check_text("integration key", key, most=KEY)
    require_allowed(services, actor, "manageIntegrations", Target.integration(key))
    node = services.store.get_node("Integration", key)
    if node is None:
        raise NotFound(f"integration `{key}` does not exist: list them with `integrations`")
    try:
        return discover_integration(services, node, actor=actor)
    except IntegrationFailed as failed:
        raise DiscoveryFailed(str(failed)) from None


def discover_integration(
    services: Services, node: Node, *, actor: str = "broker"
) -> DiscoveryReport:
    """A system step (on demand, or the scheduler's periodic re-discovery)."""
    kind = kind_of(node)
    if kind is None:
        raise InvalidInput(
            f"integration `{node.key}` of type `{node.props.get('type')}` has nothing to "
            "discover: discovery reads database integrations saved with their settings"
        )
    config = read_config(node)
    try:
        found = kind.discover(node.key, config)
        report = _write_graph(services, node.key, found)
        drift = _remove_drift(services, kind, node.key, config, found)
    except IntegrationFailed as failed:
        _record(services, node.key, actor, error=str(failed))
        raise
    report = DiscoveryReport(**{**report.__dict__, "drift_removed": drift})
    _record(services, node.key, actor, report=report)
    return report


def _write_graph(services: Services, key: str, found: Found) -> DiscoveryReport:
    source = f"integration:{key}"
    run = SyncRun(services.store, source, f"{services.clock():.6f}-{uuid.uuid4().hex[:8]}")
    top = NodeRef("Integration", key)
    ops: list[UpsertNode | UpsertEdge] = []
    for database, schemas in found.databases.items():
        db_key = f"{key}/{database}"
        top_props = {"name": database, "type": found.resource_type}
        ops.append(UpsertNode("Resource", db_key, top_props))
        ops.append(UpsertEdge("PART_OF", NodeRef("Resource", db_key), top))
        for schema in schemas:
            s_key = f"{db_key}/{schema}"
            ops.append(UpsertNode("Resource", s_key, {"name": schema, "type": "schema"}))
            ops.append(
                UpsertEdge("PART_OF", NodeRef("Resource", s_key), NodeRef("Resource", db_key))
            )
    users = _users_by_login(services, found.logins)
    unmatched: list[str] = []
    for login in found.logins:
        user = users.get(login.name)
        permissions = list(login.permissions)
        if user is None:
            unmatched.append(login.name)
        elif permissions:
            ops.append(
                UpsertEdge(
                    "HAS_ACCESS",
                    NodeRef("User", user),
                    top,
                    key=f"standing:{key}:{login.name}",
                    props={"permissions": permissions, "standing": True},
                )
            )
    run.upsert(ops)
    removed = run.cleanup(_CLEANED, scope={"sync_source": source})
    return DiscoveryReport(
        integration=key,
        databases=len(found.databases),
        schemas=sum(len(s) for s in found.databases.values()),
        standing=len(found.logins) - len(unmatched),
        unmatched=unmatched,
        removed=removed,
    )


def _users_by_login(services: Services, logins: list[Login]) -> dict[str, str]:
    """Login name -> user key: the user keyed by that name, else the one user whose key
    before `@` is it (a name two users share matches neither)."""
    wanted = {login.name for login in logins}
    matched: dict[str, str] = {}
    local: dict[str, list[str]] = {}
    for user in services.store.find_nodes("User"):
        if user.props.get("disabled"):
            continue
        if user.key in wanted:
            matched[user.key] = user.key
        local.setdefault(user.key.split("@", 1)[0], []).append(user.key)
    for name in wanted - set(matched):
        if len(local.get(name, [])) == 1:
            matched[name] = local[name][0]
    return matched


def _remove_drift(
    services: Services, kind: TargetKind, key: str, config: Mapping[str, Any], found: Found
) -> list[str]:
    """Drop each login Keyturn made for `key` whose request no longer holds access."""
    now, store = services.clock(), services.store
    alive = {
        kind.login_for(key, request.key)
        for state in (RequestState.GRANTING, RequestState.GRANTED)
        for request in store.find_nodes(
            "AccessRequest", equals={"integration": key, "state": state.value}
        )
        if _holds_access(request, now)
    }
    stale = sorted(set(found.made) - alive)
    return kind.drop_logins(key, config, stale) if stale else []


def _holds_access(request: Node | None, now: float) -> bool:
    """Whether a login made for `request` should exist: GRANTING (being made now) or
    GRANTED and not expired."""
    if request is None:
        return False
    state = request.props.get("state")
    if state == RequestState.GRANTING.value:
        return True
    expires = float(request.props.get("expires_at") or 0)
    return state == RequestState.GRANTED.value and expires > now


def _record(
    services: Services,
    key: str,
    actor: str,
    *,
    report: DiscoveryReport | None = None,
    error: str = "",
) -> None:
    now = services.clock()
    status = {"last_sync_at": now, "sync_status": "failed" if error else "ok", "sync_error": error}
    data: dict[str, Any] = {"status": status["sync_status"]}
    if error:
        data["error"] = error
    if report is not None:
        data.update(
            databases=report.databases,
            schemas=report.schemas,
            standing=report.standing,
            unmatched_logins=len(report.unmatched),
            drift_removed=report.drift_removed,
            removed=report.removed,
        )
    event = audit.Entry(
        kind="integration.synced", at=now, actor=actor, resource=key, subject=key, data=data
    )
    audit.write(services.store, [SetProps("Integration", key, status)], event)
