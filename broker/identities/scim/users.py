"""A SCIM client (Okta, Entra ID, any RFC 7644 client) creates, replaces, patches and
deletes users. Every change is one audited write stamped with source `scim`; `active:
false` and delete go through the admin's disable and delete paths, so the user's open
requests are cancelled and their grants revoked before the response is sent."""

from __future__ import annotations

import json
import threading
from typing import Any

from broker import audit
from broker.errors import DomainError, StateConflict
from broker.identities.disable_user import disable_unguarded
from broker.identities.scim.documents import normalized
from broker.identities.scim.errors import ScimError, invalid_value
from broker.identities.scim.patching import patched
from broker.identities.scim.rendering import PUSH_TAG, SOURCE, render_user
from broker.identities.scim.schema import ENTERPRISE, ENTERPRISE_USER, USER
from broker.identities.scim.versions import existing, matching
from broker.identities.users import (
    checked_email,
    checked_phone,
    delete_unguarded,
    enable_unguarded,
)
from broker.services import Services
from graph import (
    ConflictError,
    DeleteEdge,
    Node,
    NodeRef,
    SetProps,
    UpsertEdge,
    UpsertNode,
    WriteOp,
)
from graph.sync import stamped

# One SCIM write at a time in this process: a create checks that its key is free and then
# writes, and two clients creating the same userName at once must not both succeed.
WRITE_LOCK = threading.Lock()
_EXTENSIONS = (ENTERPRISE_USER,)


def get_user(services: Services, *, key: str, base: str) -> dict[str, Any]:
    return render_user(services.store, _existing(services, key), base)


def create_user(services: Services, *, actor: str, body: Any, base: str) -> dict[str, Any]:
    """A new user from a SCIM User document; 409 uniqueness when the userName is taken."""
    doc = normalized(body, USER, _EXTENSIONS)
    with WRITE_LOCK:
        key = user_key(doc)
        if services.store.get_node("User", key) is not None:
            raise ScimError(409, f"user `{key}` exists already: GET /Users/{key}", "uniqueness")
        _check_user_name(services, doc, key)
        _write(services, actor=actor, key=key, before=None, doc=doc)
    return get_user(services, key=key, base=base)


def replace_user(
    services: Services, *, actor: str, key: str, body: Any, base: str, if_match: str | None
) -> dict[str, Any]:
    doc = normalized(body, USER, _EXTENSIONS)
    with WRITE_LOCK:
        node, _current = _matching(services, key, base, if_match)
        _check_user_name(services, doc, key, before=node)
        _write(services, actor=actor, key=key, before=node, doc=doc)
    return get_user(services, key=key, base=base)


def patch_user(
    services: Services, *, actor: str, key: str, body: Any, base: str, if_match: str | None
) -> dict[str, Any]:
    with WRITE_LOCK:
        node, current = _matching(services, key, base, if_match)
        doc = normalized(patched(current, body, USER, _EXTENSIONS), USER, _EXTENSIONS)
        _check_user_name(services, doc, key, before=node)
        _write(services, actor=actor, key=key, before=node, doc=doc)
    return get_user(services, key=key, base=base)


def delete_user(
    services: Services, *, actor: str, key: str, base: str, if_match: str | None
) -> None:
    """Disable the user, cancel their open requests, revoke their grants, then delete them
    (the admin's delete path)."""
    with WRITE_LOCK:
        _matching(services, key, base, if_match)
        delete_unguarded(services, actor=actor, user=key)


def _existing(services: Services, key: str) -> Node:
    return existing(services, "User", key)


def _matching(
    services: Services, key: str, base: str, if_match: str | None
) -> tuple[Node, dict[str, Any]]:
    return matching(services, "User", key, base, if_match, render_user)


def user_key(doc: dict[str, Any]) -> str:
    """A Keyturn user is keyed by their email: the userName when it is an address, else
    the primary (or first) email."""
    user_name = _user_name(doc)
    if "@" in user_name:
        try:
            return checked_email(user_name)
        except DomainError:
            pass
    emails = [e for e in doc.get("emails", []) if e.get("value")]
    chosen = next((e for e in emails if e.get("primary")), emails[0] if emails else None)
    if chosen is None:
        raise invalid_value(
            f"user `{user_name}` has no email: Keyturn keys users by email, send `emails` "
            "or an address as `userName`"
        )
    try:
        return checked_email(str(chosen["value"]))
    except DomainError as bad:
        raise invalid_value(str(bad)) from bad


def _user_name(doc: dict[str, Any]) -> str:
    user_name = doc.get("userName")
    if not isinstance(user_name, str) or not user_name.strip():
        raise invalid_value("a user needs a `userName`")
    return user_name


def _check_user_name(
    services: Services, doc: dict[str, Any], key: str, *, before: Node | None = None
) -> None:
    """409 uniqueness when another user has this userName (case-insensitive). A userName
    that is its user's key is unique with the key, and one the user keeps was checked
    when set, so only others need a scan."""
    wanted = _user_name(doc).lower()
    kept = str(_kept(before).get("userName", "")).lower() if before is not None else None
    if wanted in (key, kept):
        return
    taken = ScimError(409, f"userName `{doc['userName']}` is taken by another user", "uniqueness")
    if services.store.get_node("User", wanted) is not None:
        raise taken  # another user's key (``wanted`` is not ``key``)
    if any(n.key != key for n in services.store.find_nodes("User", equals={"user_name": wanted})):
        raise taken


def _write(
    services: Services, *, actor: str, key: str, before: Node | None, doc: dict[str, Any]
) -> None:
    active = doc.get("active")
    if active is None and before is not None and "active" in _kept(before):
        active = True  # the client withdrew the `active` it had set: active again
    # else absent: unchanged (an admin's disable stands)
    boss = _manager(services, key, doc)
    if before is not None and active is False:
        # Disabled first: refused (the last admin), nothing is written; done, the
        # cascade has run before the response says so.
        _set_active(services, actor=actor, key=key, active=False)
        before = _existing(services, key)
    now = services.clock()
    props = {
        **_props(doc),
        "scim": json.dumps(doc, sort_keys=True),
        "user_name": _user_name(doc).lower(),
        "updated_at": now,
    }
    ops: list[WriteOp] = []
    if before is None:
        props.update(email=key, role="grantee", status="ACTIVE", source=SOURCE, created_at=now)
        ops.append(stamped(UpsertNode("User", key, props), SOURCE, PUSH_TAG))
    else:
        stamp = {"sync_source": SOURCE, "sync_tag": PUSH_TAG}
        cleared = {k: None for k in ("phone",) if k not in props}
        ops.append(
            SetProps(
                "User",
                key,
                {**props, **cleared, **stamp},
                expect={"scim": before.props.get("scim")},
            )
        )
    ops += _manager_ops(services, key, boss, exists=before is not None)
    changed = sorted(k for k in doc if before is None or _kept(before).get(k) != doc[k])
    event = audit.Entry(
        kind="user.created" if before is None else "user.updated",
        at=now,
        actor=actor,
        subject=key,
        data={"source": SOURCE, "changed": changed},
    )
    try:
        audit.write(services.store, ops, event)
    except ConflictError as lost:
        raise ScimError(409, f"user `{key}` changed meanwhile: GET it and try again") from lost
    if active is not None:
        _set_active(services, actor=actor, key=key, active=active)


def _kept(node: Node) -> dict[str, Any]:
    stored = node.props.get("scim")
    return json.loads(str(stored)) if stored else {}


def _props(doc: dict[str, Any]) -> dict[str, Any]:
    """The user properties the rest of Keyturn reads, from the SCIM attributes."""
    name = doc.get("name") or {}
    full = (
        name.get("formatted")
        or " ".join(p for p in (name.get("givenName"), name.get("familyName")) if p)
        or doc.get("displayName")
    )
    props: dict[str, Any] = {}
    if full:
        props["full_name"] = props["name"] = str(full)[:200]
    for phone in doc.get("phoneNumbers", []):
        try:  # only an E.164 number becomes the user's phone; the rest stay SCIM's
            props["phone"] = checked_phone(str(phone.get("value", "")))
            break
        except DomainError:
            continue
    return props


def _manager(services: Services, key: str, doc: dict[str, Any]) -> str | None:
    manager = (doc.get(ENTERPRISE) or {}).get("manager")
    boss = str(manager.get("value") or "") if isinstance(manager, dict) else ""
    if not boss:
        return None
    if boss == key:
        raise invalid_value(f"user `{key}` cannot be their own manager")
    if services.store.get_node("User", boss) is None:
        raise invalid_value(f"manager `{boss}` is no user: create them first")
    seen = {boss}
    walker = boss
    while True:  # a manager loop would make every "manager approves" flow undecidable
        up = services.store.edges("REPORTS_TO", src=NodeRef("User", walker))
        if not up:
            return boss
        walker = up[0].dst.key
        if walker == key:
            raise invalid_value(f"manager `{boss}` reports to `{key}` already: that is a loop")
        if walker in seen:
            return boss
        seen.add(walker)


def _manager_ops(services: Services, key: str, boss: str | None, *, exists: bool) -> list[WriteOp]:
    ops: list[WriteOp] = []
    me = NodeRef("User", key)
    current = services.store.edges("REPORTS_TO", src=me) if exists else []
    for edge in current:
        if edge.dst.key != boss:
            ops.append(DeleteEdge("REPORTS_TO", edge.src, edge.dst, edge.key))
    if boss is not None and all(e.dst.key != boss for e in current):
        ops.append(stamped(UpsertEdge("REPORTS_TO", me, NodeRef("User", boss)), SOURCE, PUSH_TAG))
    return ops


def _set_active(services: Services, *, actor: str, key: str, active: bool) -> None:
    node = _existing(services, key)
    try:
        if not active and not node.props.get("disabled"):
            disable_unguarded(
                services, actor=actor, user=key, reason="deactivated by the SCIM client"
            )
        elif active and node.props.get("disabled"):
            enable_unguarded(services, actor=actor, user=key)
    except StateConflict as refused:  # e.g. the last admin
        raise ScimError(400, str(refused), "mutability") from refused
