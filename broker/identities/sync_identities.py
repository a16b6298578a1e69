"""Sync people from an identity provider (users, groups, memberships, managers), and
offboard whoever the provider removed or disabled: their open requests are cancelled and
their grants revoked through the integrations, before their access could be forgotten.

A run follows graph.sync (cartography style): everything it writes is stamped with the
source and the run tag; then users the source had before but this run did not see are
offboarded and deleted, and its stale groups and edges are cleaned up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from broker import _text, audit
from broker._text import check_text
from broker.errors import InvalidInput
from broker.identities._offboard import Offboarded, offboard
from broker.services import Services
from graph import ConflictError, DeleteNode, Node, NodeRef, SetProps, UpsertEdge, UpsertNode
from graph.sync import DEFAULT_BATCH, SyncRun

_log = logging.getLogger(__name__)

_CLEANED = ("MEMBER_OF", "REPORTS_TO", "Group")  # Users are offboarded, then deleted, here


@dataclass(frozen=True)
class DirectoryUser:
    """A person as the identity provider has them; `email` is their key in Keyturn."""

    email: str
    name: str = ""
    disabled: bool = False


@dataclass(frozen=True)
class DirectoryGroup:
    key: str
    name: str = ""


@dataclass(frozen=True)
class SyncReport:
    seen: int  # users this run saw
    disabled: tuple[str, ...]  # users this run disabled
    removed: tuple[str, ...]  # users deleted: the source no longer has them
    kept: tuple[str, ...]  # removed by the source, kept disabled: a revoke failed
    cancelled: tuple[str, ...]  # requests
    revoked: tuple[str, ...]  # requests whose grant was revoked
    failed: tuple[str, ...]  # requests whose grant the integration did not revoke


def sync_identities(
    services: Services,
    *,
    source: str,
    run_tag: str,
    users: Sequence[DirectoryUser],
    groups: Sequence[DirectoryGroup] = (),
    memberships: Sequence[tuple[str, str]] = (),
    managers: Mapping[str, str] | None = None,
    allow_empty: bool = False,
    batch_size: int = DEFAULT_BATCH,
    progress: Callable[[int], None] | None = None,
) -> SyncReport:
    """Write what `source` has now and offboard whoever it removed or disabled.

    `memberships` are (user email or group key, group key) pairs; `managers` maps a user to
    their manager. A user synced disabled is disabled in Keyturn (a sync never re-enables:
    that is an admin's call). A disabled or removed user's PENDING and APPROVED requests are
    cancelled and their grants revoked; a removed user is then deleted, unless a revoke
    failed: then they stay, disabled, and the next run tries again (see `failed`).
    Raises InvalidInput, before writing anything, for malformed input, and for a run that
    names no user unless `allow_empty` (an empty answer would offboard everyone).
    A system job: the directory acts, not a person, so no API policy is asked.
    `progress` hears the running count of the users, groups and edges written.
    """
    managers = managers or {}
    _check(source, run_tag, users, groups, memberships, managers, allow_empty)
    if batch_size <= 0:
        raise InvalidInput(f"batch size `{batch_size}` is not positive: use at least 1")
    store = services.store
    known = {node.key: node for node in store.find_nodes("User")}
    actor = f"sync:{source}"
    disabled = _disable(services, users, known, actor=actor, source=source)
    run = SyncRun(store, source, run_tag, batch_size=batch_size)
    now = services.clock()
    run.upsert(_ops(source, users, groups, memberships, managers, known, now), progress)
    reason = f"disabled in `{source}`"
    off = offboard(services, [u.email for u in users if u.disabled], actor=actor, reason=reason)
    removed, kept, gone = _remove_unseen(services, run, actor=actor, batch=batch_size)
    run.cleanup(kinds=_CLEANED, scope={"sync_source": source})
    failed = (*off.failed, *gone.failed)
    if failed:
        _log.warning(
            "sync %s: %d grant(s) could not be revoked, retried next run", actor, len(failed)
        )
    return SyncReport(
        seen=len(users),
        disabled=disabled,
        removed=removed,
        kept=kept,
        cancelled=(*off.cancelled, *gone.cancelled),
        revoked=(*off.revoked, *gone.revoked),
        failed=failed,
    )


def _disable(
    services: Services,
    users: Sequence[DirectoryUser],
    known: Mapping[str, Node],
    *,
    actor: str,
    source: str,
) -> tuple[str, ...]:
    """Disable, each with its event, the known users `source` disables now; returns them.
    Done before anything else is written, so they can no longer ask while offboarded."""
    done: list[str] = []
    for user in users:
        node = known.get(user.email)
        if not user.disabled or node is None or node.props.get("disabled"):
            continue
        reason = f"disabled in `{source}`"
        if _mark_disabled(services, node, actor=actor, reason=reason):
            done.append(user.email)
    return tuple(done)


def _mark_disabled(services: Services, node: Node, *, actor: str, reason: str) -> bool:
    """Disable `node` with a `user.disabled` event; False when someone changed it first."""
    before = node.props.get("disabled")
    op = SetProps("User", node.key, {"disabled": True}, {"disabled": before})
    event = audit.Entry(
        kind="user.disabled",
        at=services.clock(),
        actor=actor,
        subject=node.key,
        data={"reason": reason},
    )
    try:
        audit.write(services.store, [op], event)
    except ConflictError:
        return False  # e.g. an admin disabled them meanwhile
    return True


def _ops(
    source: str,
    users: Sequence[DirectoryUser],
    groups: Sequence[DirectoryGroup],
    memberships: Sequence[tuple[str, str]],
    managers: Mapping[str, str],
    known: Mapping[str, Node],
    now: float,
) -> list[UpsertNode | UpsertEdge]:
    """What the run writes; a user new to Keyturn starts as a grantee, and a known user's
    role is never touched."""
    ops: list[UpsertNode | UpsertEdge] = []
    for user in users:
        props: dict[str, Any] = {"email": user.email}
        if user.name:
            props["name"] = user.name
        if user.disabled:
            props["disabled"] = True
        if user.email not in known:
            props.update(role="grantee", created_at=now)
        ops.append(UpsertNode("User", user.email, props))
    ops += [UpsertNode("Group", g.key, {"name": g.name or g.key, "source": source}) for g in groups]
    group_keys = {g.key for g in groups}
    for member, group in memberships:
        kind = "Group" if member in group_keys else "User"
        ops.append(
            UpsertEdge(
                "MEMBER_OF",
                NodeRef(kind, member),
                NodeRef("Group", group),
                props={"source": source},
            )
        )
    for user_key, manager in sorted(managers.items()):
        ops.append(UpsertEdge("REPORTS_TO", NodeRef("User", user_key), NodeRef("User", manager)))
    return ops


def _remove_unseen(
    services: Services, run: SyncRun, *, actor: str, batch: int
) -> tuple[tuple[str, ...], tuple[str, ...], Offboarded]:
    """Offboard, then delete, the users `run`'s source had before and this run did not see,
    a batch at a time; returns who was removed, who was kept (a revoke failed) and what the
    offboarding did. Every pass deletes or re-stamps all it found, so the loop ends."""
    store = services.store
    removed: list[str] = []
    kept: list[str] = []
    done: list[Offboarded] = []
    reason = f"removed from `{run.source}`"
    while True:
        refs = store.stale_nodes("User", sync_source=run.source, sync_tag=run.run_tag, limit=batch)
        if not refs:
            break
        keys = [ref.key for ref in refs]
        off = offboard(services, keys, actor=actor, reason=reason)
        done.append(off)
        gone = [key for key in keys if key not in off.stuck]
        _delete(services, gone, actor=actor, source=run.source, run_tag=run.run_tag)
        _keep(services, run, [key for key in keys if key in off.stuck], actor=actor)
        removed += gone
        kept += [key for key in keys if key in off.stuck]
    return tuple(removed), tuple(kept), _merge(done)


def _delete(services: Services, keys: list[str], *, actor: str, source: str, run_tag: str) -> None:
    if not keys:
        return
    at = services.clock()
    events = [
        audit.Entry(
            kind="user.removed",
            at=at,
            actor=actor,
            subject=key,
            data={"source": source, "run_tag": run_tag},
        )
        for key in keys
    ]
    audit.write_all(services.store, [DeleteNode("User", key) for key in keys], events)


def _keep(services: Services, run: SyncRun, keys: list[str], *, actor: str) -> None:
    """Keep users whose grants could not all be revoked: disabled, and stamped by this run
    so its cleanup spares them; the next run, not seeing them either, tries again."""
    reason = f"removed from `{run.source}`; kept until its grants are revoked"
    stamps: list[UpsertNode | UpsertEdge] = []
    for key in keys:
        node = services.store.get_node("User", key)
        if node is None:
            continue
        if not node.props.get("disabled"):
            _mark_disabled(services, node, actor=actor, reason=reason)
        stamps.append(UpsertNode("User", key, {"email": node.props.get("email", key)}))
    run.upsert(stamps)


def _merge(parts: Sequence[Offboarded]) -> Offboarded:
    return Offboarded(
        cancelled=tuple(k for p in parts for k in p.cancelled),
        revoked=tuple(k for p in parts for k in p.revoked),
        failed=tuple(k for p in parts for k in p.failed),
        stuck=frozenset(k for p in parts for k in p.stuck),
    )


def _check(
    source: str,
    run_tag: str,
    users: Sequence[DirectoryUser],
    groups: Sequence[DirectoryGroup],
    memberships: Sequence[tuple[str, str]],
    managers: Mapping[str, str],
    allow_empty: bool,
) -> None:
    if not source.strip() or not run_tag.strip():
        raise InvalidInput("a sync needs a source and a run tag: name both, e.g. `okta`")
    if not users and not allow_empty:
        raise InvalidInput(
            f"the sync from `{source}` names no user, which would remove every user it "
            "synced before: check the source, or pass allow_empty if that is meant"
        )
    for person in users:
        check_text("user email", person.email, most=_text.EMAIL)
        check_text(f"name of `{person.email}`", person.name, most=_text.NAME)
    for team in groups:
        check_text("group key", team.key, most=_text.KEY)
        check_text(f"name of group `{team.key}`", team.name, most=_text.NAME)
    emails = _unique([u.email for u in users], "user")
    keys = _unique([g.key for g in groups], "group")
    for member, group in memberships:
        if group not in keys:
            raise InvalidInput(f"membership in `{group}` names no group of this sync: add it")
        if member not in emails and member not in keys:
            raise InvalidInput(f"member `{member}` of `{group}` is no user or group of this sync")
    for user, manager in managers.items():
        if user not in emails or manager not in emails or user == manager:
            raise InvalidInput(
                f"`{user}` reporting to `{manager}` needs both to be distinct users of this sync"
            )


def _unique(keys: list[str], what: str) -> set[str]:
    seen: set[str] = set()
    for key in keys:
        if not key.strip():
            raise InvalidInput(f"a {what} of the sync has an empty key: give every {what} one")
        if key in seen:
            raise InvalidInput(f"{what} `{key}` appears twice in the sync: list it once")
        seen.add(key)
    return seen
