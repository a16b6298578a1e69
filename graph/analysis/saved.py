"""Saved audit queries: named, described questions an auditor asks of the access graph.

In the spirit of BloodHound's pre-built queries. Each is written once against the
GraphStore protocol (its reads and analyses), so it answers the same on every backend;
`run_saved_query(store, name, params)` is the one entry point.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from graph.analysis.results import MAX_NESTING
from graph.errors import GraphError
from graph.values import NodeRef

if TYPE_CHECKING:
    from graph.store import GraphStore


@dataclass(frozen=True)
class Finding:
    """One answer to a saved query: who (`subject`), about what (`target`), and a detail."""

    subject: NodeRef
    target: NodeRef | None = None
    detail: str = ""


Run = Callable[["GraphStore", Mapping[str, Any]], list[Finding]]


@dataclass(frozen=True)
class SavedQuery:
    name: str
    description: str
    defaults: Mapping[str, Any]  # every parameter it takes; None means the caller must give it
    run: Run


def run_saved_query(
    store: GraphStore,
    name: str,
    params: Mapping[str, Any],
    runners: Mapping[str, Run] | None = None,
) -> list[Finding]:
    """Check `params` against the query's, then run it: with a backend's own version from
    `runners` when it has one (one statement instead of several reads), else the generic."""
    query = SAVED_QUERIES.get(name)
    if query is None:
        known = ", ".join(f"`{n}`" for n in SAVED_QUERIES)
        raise GraphError(f"no saved query is named `{name}`: use one of {known}")
    unknown = sorted(set(params) - set(query.defaults))
    if unknown:
        raise GraphError(f"saved query `{name}` takes no parameter `{unknown[0]}`")
    merged = {**query.defaults, **params}
    missing = sorted(k for k, v in merged.items() if v is None)
    if missing:
        raise GraphError(f"saved query `{name}` needs the parameter `{missing[0]}`")
    findings = (runners or {}).get(name, query.run)(store, merged)
    return sorted(set(findings), key=_finding_order)


def _standing_admin_access(store: GraphStore, params: Mapping[str, Any]) -> list[Finding]:
    return [
        Finding(edge.src, edge.dst, edge.key)
        for edge in store.edges("HAS_ACCESS")
        if edge.props.get("standing") is True
        and params["permission"] in (edge.props.get("permissions") or [])
    ]


def _external_users_with_access(store: GraphStore, params: Mapping[str, Any]) -> list[Finding]:
    return [
        Finding(access.identity, access.resource, access.grant)
        for external in store.find_nodes("ExternalUser")
        for access in store.effective_access(external.ref, params["now"])
    ]


def _approved_by_a_report(store: GraphStore, params: Mapping[str, Any]) -> list[Finding]:
    found: list[Finding] = []
    for approval in store.edges("APPROVED"):
        managers = {e.dst for e in store.edges("REPORTS_TO", src=approval.src)}
        for requested in store.edges("REQUESTED", dst=approval.dst):
            if requested.src in managers:
                found.append(Finding(approval.src, approval.dst, f"reports to {requested.src.key}"))
    return found


def _grants_never_used(store: GraphStore, params: Mapping[str, Any]) -> list[Finding]:
    now = params["now"]
    return [
        Finding(edge.src, edge.dst, edge.key)
        for edge in store.edges("HAS_ACCESS")
        if "last_used_at" not in edge.props
        and (edge.props.get("expires_at") is None or edge.props["expires_at"] > now)
    ]


def _groups_nested_deeper_than(store: GraphStore, params: Mapping[str, Any]) -> list[Finding]:
    limit = int(params["depth"])
    parents: dict[str, set[str]] = {}
    for edge in store.edges("MEMBER_OF"):
        if edge.src.kind == "Group":
            parents.setdefault(edge.src.key, set()).add(edge.dst.key)
    found: list[Finding] = []
    for group in store.find_nodes("Group"):
        depth = _nesting_depth(group.key, parents)
        if depth > limit:
            found.append(Finding(group.ref, None, f"depth {depth}"))
    return found


def _nesting_depth(group: str, parents: Mapping[str, set[str]]) -> int:
    """1 for a top-level group; one more per group above it on the longest chain (cycles
    end a chain, and no chain counts beyond MAX_NESTING + 1)."""
    deepest = 1
    stack: list[tuple[str, frozenset[str]]] = [(group, frozenset({group}))]
    while stack:
        key, chain = stack.pop()
        deepest = max(deepest, len(chain))
        if len(chain) > MAX_NESTING:
            continue
        stack.extend((p, chain | {p}) for p in parents.get(key, ()) if p not in chain)
    return deepest


def _access_to_tagged(store: GraphStore, params: Mapping[str, Any]) -> list[Finding]:
    return [
        Finding(access.identity, access.resource, access.grant)
        for resource in store.find_nodes("Resource")
        if params["tag"] in (resource.props.get("tags") or [])
        for access in store.who_can_access(resource.ref, params["now"])
    ]


def _finding_order(finding: Finding) -> tuple[str, str, str, str, str]:
    target = finding.target or NodeRef("", "")
    return (finding.subject.kind, finding.subject.key, target.kind, target.key, finding.detail)


SAVED_QUERIES: Mapping[str, SavedQuery] = MappingProxyType(
    {
        query.name: query
        for query in (
            SavedQuery(
                "standing_admin_access",
                "principals holding standing (sync-found, never expiring by request) access "
                "with the given permission, `admin` by default: candidates for JIT instead",
                {"permission": "admin"},
                _standing_admin_access,
            ),
            SavedQuery(
                "external_users_with_access",
                "external users (no IdP account) who can reach a resource now, per grant",
                {"now": None},
                _external_users_with_access,
            ),
            SavedQuery(
                "approved_by_a_report",
                "requests approved by someone who reports to the requester: an approval "
                "the approver may not have felt free to refuse",
                {},
                _approved_by_a_report,
            ),
            SavedQuery(
                "grants_never_used",
                "active grants with no recorded use (`last_used_at` absent): access to revoke",
                {"now": None},
                _grants_never_used,
            ),
            SavedQuery(
                "groups_nested_deeper_than",
                "groups more than `depth` levels deep (5 by default): nesting that hides "
                "who is really in a group",
                {"depth": 5},
                _groups_nested_deeper_than,
            ),
            SavedQuery(
                "access_to_tagged_resources",
                "identities who can reach, now, a resource tagged `tag` (`sensitive` by default)",
                {"now": None, "tag": "sensitive"},
                _access_to_tagged,
            ),
        )
    }
)
