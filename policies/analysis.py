"""Analysis for admins: flows that allow nothing, flows shadowed by another flow, and
flows offering containers that hold what they exclude (requests for those are refused).

Both readings are conservative: a flow is flagged only when the claim holds for every
request, so a flag is always worth acting on (a flow not flagged may still be redundant).
What the policies cannot know, which groups have members and which users exist, the caller
passes in from the graph.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

from policies.compiler import flow_targets
from policies.flows import AccessFlow
from policies.forbid import ForbidRule
from policies.reach import Blocked, Finder, blocked, lookout
from policies.windows import Window


@dataclass(frozen=True)
class Finding:
    flow_key: str
    kind: str  # "allows-nothing", "shadowed", "reaches-excluded" or "counts-twice"
    message: str
    by: str = ""  # the shadowing flow's key


def flows_allowing_nothing(
    flows: Iterable[AccessFlow],
    *,
    populated_groups: Collection[str],
    users: Collection[str],
    populated_bundles: Collection[str] | None = None,
) -> list[Finding]:
    """Flows that can never allow a request, each with the reason in words.
    `populated_bundles` (bundles covering anything) is checked only when given."""
    findings = []
    for flow in flows:
        reason = _why_nothing(flow, populated_groups, users) or _why_nothing_bundled(
            flow, populated_bundles
        )
        if reason:
            findings.append(Finding(flow.key, "allows-nothing", f"flow `{flow.key}` {reason}"))
    return findings


def flows_counting_someone_twice(flows: Iterable[AccessFlow]) -> list[Finding]:
    """Flows with a step that only people who must have approved an earlier step could
    approve: one person counts once per request, so no request by them is ever approved
    (it waits until it times out). Flagged only when that holds for every request: the
    step and the escalation tier name users only, and each of them is someone an earlier
    step cannot be completed without."""
    findings = []
    for flow in flows:
        used: set[str] = set()
        tier = set(flow.escalation_users) if flow.escalation_minutes else set()
        widened = bool(flow.escalation_minutes and flow.escalation_groups)
        for index, step in enumerate(flow.steps):
            names = set(step.approvers)
            only_users = not (step.approver_groups or step.manager)
            if index and only_users and not widened and names and names | tier <= used:
                who = ", ".join(f"`{u}`" for u in sorted(names))
                findings.append(
                    Finding(
                        flow.key,
                        "counts-twice",
                        f"flow `{flow.key}`: step {index + 1} names only {who}, who must "
                        "approve an earlier step, and one person counts once per request: "
                        "name someone else for it",
                    )
                )
            # Who must approve this step: its one named user, or every named user of an
            # all-of step that no escalation tier can complete instead.
            if only_users and (len(names) == 1 or (step.mode == "all" and not tier)):
                used |= names
    return findings


def shadowed_flows(flows: Iterable[AccessFlow]) -> list[Finding]:
    """Flows whose every allowed request another enabled flow allows too (ties between
    identical flows name the one with the later key as shadowed)."""
    enabled = sorted((f for f in flows if f.enabled), key=lambda f: f.key)
    findings = []
    for flow in enabled:
        for other in enabled:
            if other is flow or not _covers_all(other, flow):
                continue
            if _covers_all(flow, other) and flow.key < other.key:
                continue  # identical in effect: flag only the later one
            findings.append(
                Finding(
                    flow.key,
                    "shadowed",
                    f"flow `{flow.key}` allows nothing that flow `{other.key}` does not "
                    "already allow: remove it or narrow the other",
                    other.key,
                )
            )
            break
    return findings


def flows_reaching_excluded(
    flows: Iterable[AccessFlow],
    rules: Iterable[ForbidRule],
    find: Callable[[tuple[str, str]], Finder],
) -> list[Finding]:
    """Enabled flows offering an integration or resource that holds something the flow
    excludes or a forbid rule closes (at all times or outside its window): requests for
    that container as a whole are refused, which an admin may not expect.
    `find(target)` looks below the target (kind, key) in the graph."""
    closing = [rule for rule in rules if rule.enabled]
    findings = []
    for flow in sorted((f for f in flows if f.enabled), key=lambda f: f.key):
        look = lookout(flow, closing)
        if not look:
            continue
        for target in flow_targets(flow):
            if target[0] not in ("Integration", "Resource"):
                continue  # types, tags and bundles name no one container to look below
            held = blocked(flow, closing, find(target)(look))
            if held:
                findings.append(_reaching(flow, target[1], held))
    return findings


def _reaching(flow: AccessFlow, container: str, held: list[Blocked]) -> Finding:
    named = "; ".join(f"`{b.key}` ({'; '.join(b.reasons)})" for b in held[:3])
    more = f" and {len(held) - 3} more" if len(held) > 3 else ""
    return Finding(
        flow.key,
        "reaches-excluded",
        f"flow `{flow.key}` offers `{container}`, which holds what may not be granted: "
        f"{named}{more}; requests for `{container}` as a whole are refused: offer the "
        "resources inside it instead, or change the exclusion or rule",
    )


def _why_nothing(flow: AccessFlow, populated: Collection[str], users: Collection[str]) -> str:
    if not flow.enabled:
        return "is disabled"
    if not (flow.everyone or flow.external):
        live = [g for g in flow.requestor_groups if g in populated]
        live += [u for u in flow.requestor_users if u in users]
        if not live:
            return "has no requestors with members: its groups are empty and its users unknown"
    if not (
        flow.for_self
        or flow.on_behalf_reports
        or any(user in users for user in flow.on_behalf_users)
    ):
        return "can be requested for nobody: the users it lets people request for are unknown"
    if flow.tags and set(flow.tags) <= set(flow.exclude_tags):
        return "offers only tags it also excludes"
    named = [t for t in flow_targets(flow) if t[0] in ("Resource", "tag")]
    if len(named) == len(flow_targets(flow)) and all(
        key in (flow.exclude_resources if kind == "Resource" else flow.exclude_tags)
        for kind, key in named
    ):
        return "excludes everything it offers"
    return ""


def _why_nothing_bundled(flow: AccessFlow, populated: Collection[str] | None) -> str:
    if populated is None or not flow.enabled:
        return ""
    targets = flow_targets(flow)
    if targets and all(kind == "Bundle" and key not in populated for kind, key in targets):
        return "offers only bundles that cover nothing"
    return ""


def _covers_all(wide: AccessFlow, narrow: AccessFlow) -> bool:
    """True when `wide` allows every request `narrow` allows."""
    return (
        wide.trigger == narrow.trigger
        and _requestors_cover(wide, narrow)
        and _beneficiaries_cover(wide, narrow)
        and set(flow_targets(narrow)) <= set(flow_targets(wide))
        and (not wide.tags or (bool(narrow.tags) and set(narrow.tags) <= set(wide.tags)))
        and set(wide.exclude_resources) <= set(narrow.exclude_resources)
        and set(wide.exclude_tags) <= set(narrow.exclude_tags)
        and set(narrow.permissions) <= set(wide.permissions)
        and narrow.max_duration_minutes <= wide.max_duration_minutes
        and (narrow.justification_required or not wide.justification_required)
        and _window_covers(wide.window, narrow.window)
    )


def _requestors_cover(wide: AccessFlow, narrow: AccessFlow) -> bool:
    if wide.everyone:
        return True
    if narrow.everyone or (narrow.external and not wide.external):
        return False
    return set(narrow.requestor_users) <= set(wide.requestor_users) and set(
        narrow.requestor_groups
    ) <= set(wide.requestor_groups)


def _beneficiaries_cover(wide: AccessFlow, narrow: AccessFlow) -> bool:
    return (
        (wide.for_self or not narrow.for_self)
        and (wide.on_behalf_reports or not narrow.on_behalf_reports)
        and set(narrow.on_behalf_users) <= set(wide.on_behalf_users)
    )


def _window_covers(wide: Window | None, narrow: Window | None) -> bool:
    if wide is None:
        return True
    return (
        narrow is not None
        and narrow.zone == wide.zone
        and set(narrow.days) <= set(wide.days)
        and wide.start <= narrow.start
        and narrow.end <= wide.end
    )
