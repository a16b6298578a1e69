"""A SCIM client creates, replaces, patches and deletes groups. A group is keyed by its
displayName (the name access flows use); its members become MEMBER_OF edges, nested
groups included, stamped with source `scim`, in the same audited write as the group."""

from __future__ import annotations

import json
from typing import Any

from broker import _text, audit
from broker._text import check_text
from broker.errors import DomainError
from broker.identities.scim.documents import normalized
from broker.identities.scim.errors import ScimError, invalid_value
from broker.identities.scim.patching import patched
from broker.identities.scim.rendering import PUSH_TAG, SOURCE, render_group
from broker.identities.scim.schema import GROUP
from broker.identities.scim.users import WRITE_LOCK
from broker.identities.scim.versions import existing, matching
from broker.services import Services
from graph import (
    ConflictError,
    DeleteEdge,
    DeleteNode,
    Node,
    NodeRef,
    SetProps,
    UpsertEdge,
    UpsertNode,
    WriteOp,
)
from graph.sync import stamped


def get_group(services: Services, *, key: str, base: str) -> dict[str, Any]:
    return render_group(services.store, _existing(services, key), base)


def create_group(services: Services, *, actor: str, body: Any, base: str) -> dict[str, Any]:
    doc = normalized(body, GROUP, ())
    with WRITE_LOCK:
        key = group_key(doc)
        if services.store.get_node("Group", key) is not None:
            raise ScimError(409, f"group `{key}` exists already: GET /Groups/{key}", "uniqueness")
        _write(services, actor=actor, key=key, before=None, doc=doc)
    return get_group(services, key=key, base=base)


def replace_group(
    services: Services, *, actor: str, key: str, body: Any, base: str, if_match: str | None
) -> dict[str, Any]:
    doc = normalized(body, GROUP, ())
    with WRITE_LOCK:
        node, _current = _matching(services, key, base, if_match)
        _write(services, actor=actor, key=key, before=node, doc=doc)
    return get_group(services, key=key, base=base)


def patch_group(
    services: Services, *, actor: str, key: str, body: Any, base: str, if_match: str | None
) -> dict[str, Any]:
    with WRITE_LOCK:
        node, current = _matching(services, key, base, if_match)
        doc = normalized(patched(current, body, GROUP, ()), GROUP, ())
        _write(services, actor=actor, key=key, before=node, doc=doc)
    return get_group(services, key=key, base=base)


def delete_group(
    services: Services, *, actor: str, key: str, base: str, if_match: str | None
) -> None:
    with WRITE_LOCK:
        _matching(services, key, base, if_match)
        event = audit.Entry(
            kind="group.deleted",
            at=services.clock(),
            actor=actor,
            subject=key,
            data={"source": SOURCE},
        )
        audit.write(services.store, [DeleteNode("Group", key)], event)


def _existing(services: Services, key: str) -> Node:
    return existing(services, "Group", key)


def _matching(
    services: Services, key: str, base: str, if_match: str | None
) -> tuple[Node, dict[str, Any]]:
    return matching(services, "Group", key, base, if_match, render_group)


def group_key(doc: dict[str, Any]) -> str:
    name = doc.get("displayName")
    if not isinstance(name, str) or not name.strip():
        raise invalid_value("a group needs a `displayName`")
    try:
        return check_text("displayName", name.strip(), most=_text.KEY)
    except DomainError as bad:
        raise invalid_value(str(bad)) from bad


def _write(
    services: Services, *, actor: str, key: str, before: Node | None, doc: dict[str, Any]
) -> None:
    name = group_key(doc)
    if before is not None and name != key and services.store.get_node("Group", name):
        raise ScimError(409, f"another group is called `{name}`", "uniqueness")
    group = NodeRef("Group", key)
    current = {e.src: e for e in services.store.edges("MEMBER_OF", dst=group)} if before else {}
    wanted = _members(services, key, doc.get("members", []), current={r.key: r for r in current})
    now = services.clock()
    props = {"name": name, "scim": json.dumps(doc, sort_keys=True), "updated_at": now}
    ops: list[WriteOp] = []
    if before is None:
        props.update(source=SOURCE, created_at=now)
        ops.append(stamped(UpsertNode("Group", key, props), SOURCE, PUSH_TAG))
    else:
        stamp = {"sync_source": SOURCE, "sync_tag": PUSH_TAG}
        ops.append(
            SetProps("Group", key, {**props, **stamp}, expect={"scim": before.props.get("scim")})
        )
    removed = [e for ref, e in current.items() if ref not in wanted]
    added = [ref for ref in wanted if ref not in current]
    ops += [DeleteEdge("MEMBER_OF", e.src, e.dst, e.key) for e in removed]
    ops += [
        stamped(UpsertEdge("MEMBER_OF", ref, group, props={"source": SOURCE}), SOURCE, PUSH_TAG)
        for ref in added
    ]
    event = audit.Entry(
        kind="group.created" if before is None else "group.updated",
        at=now,
        actor=actor,
        subject=key,
        data={
            "source": SOURCE,
            "added": sorted(r.key for r in added),
            "removed": sorted(e.src.key for e in removed),
        },
    )
    try:
        audit.write(services.store, ops, event)
    except ConflictError as lost:
        raise ScimError(409, f"group `{key}` changed meanwhile: GET it and try again") from lost


def _members(
    services: Services, key: str, members: list[dict[str, Any]], *, current: dict[str, NodeRef]
) -> dict[NodeRef, None]:
    """The members as graph refs, in order; 400 for one that is no user or group, or that
    would make a group contain itself. Members the group has already (`current`) were
    checked when they were added: only new ones are looked up."""
    store = services.store
    refs: dict[NodeRef, None] = {}
    for member in members:
        value = str(member.get("value") or "")
        if not value:
            raise invalid_value("a member needs a `value`: the id of a user or group")
        kind = str(member.get("type") or "")
        known = current.get(value)
        if known is not None and kind in ("", known.kind):
            refs[known] = None
            continue
        kinds = [kind] if kind in ("User", "Group") else ["User", "Group"]
        found = next((k for k in kinds if store.get_node(k, value) is not None), None)
        if found is None:
            raise invalid_value(f"member `{value}` is no user or group: create it first")
        if found == "Group":
            _refuse_cycle(services, key, value)
        refs[NodeRef(found, value)] = None
    return refs


def _refuse_cycle(services: Services, group: str, member: str) -> None:
    """Adding group `member` to `group` loops when `group` is `member` or sits (however
    deeply) inside it."""
    todo, seen = [group], set()
    while todo:
        current = todo.pop()
        if current == member:
            raise invalid_value(f"group `{member}` would contain itself through `{group}`")
        if current in seen:
            continue
        seen.add(current)
        todo += [
            e.dst.key for e in services.store.edges("MEMBER_OF", src=NodeRef("Group", current))
        ]
