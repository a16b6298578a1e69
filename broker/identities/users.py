"""People as admins see them: the user list, and an admin's changes to a person (name and
phone, enabling, deleting). Also the one home of how a user's status and source read and
of the email and phone rules, which invitations use too.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from broker import _text, audit
from broker._lookup import require_allowed
from broker._text import check_text
from broker.errors import InvalidInput, NotFound, StateConflict
from broker.grants._grants import RevokeFailed, failure_message
from broker.identities._offboard import offboard
from broker.identities.sessions import end_sessions_ops
from broker.identities.set_user_role import keep_an_admin
from broker.services import Services
from graph import ConflictError, DeleteNode, GraphStore, Node, NodeRef, SetProps, WriteOp
from policies.api_authz import ROLES, Target

STATUSES = ("INVITED", "ACTIVE", "DISABLED")
SOURCES = ("invite", "sso", "scim", "demo", "sync")
MAX_PAGE = 500
PHONE_MAX = 16  # E.164: a plus and at most 15 digits

_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
_E164 = re.compile(r"\+[1-9][0-9]{1,14}")
_CURSOR_PREFIX = "user:"


def status_of(node: Node) -> str:
    """User `node`'s status: INVITED, ACTIVE or DISABLED. `disabled` wins; users from
    before invitations (the demo, a directory sync) have no status and are ACTIVE."""
    if node.props.get("disabled"):
        return "DISABLED"
    return str(node.props.get("status") or "ACTIVE")


def source_of(node: Node) -> str:
    """Where user `node` came from; users from before invitations came from a directory
    sync (they carry its stamp) or from the demo seed."""
    given = node.props.get("source")
    if given:
        return str(given)
    stamped = node.props.get("sync_source")
    if stamped == "scim":  # `keyturn sync --file`: a SCIM document, loaded instead of pushed
        return "scim"
    return "sync" if stamped else "demo"


def full_name_of(node: Node) -> str:
    return str(node.props.get("full_name") or node.props.get("name") or "")


def checked_email(email: str) -> str:
    """`email` as a user key: trimmed and lower-cased; InvalidInput unless it looks like
    an address (local part @ dotted domain)."""
    check_text("email", email, most=_text.EMAIL)
    address = email.strip().lower()
    if not _EMAIL.fullmatch(address):
        raise InvalidInput(f"email `{email}` is not an address: write it like `ann@corp.example`")
    return address


def checked_phone(phone: str) -> str:
    """`phone` in E.164 form (`+` country code and number, digits only); InvalidInput else."""
    check_text("phone", phone, most=PHONE_MAX + 16)
    if not _E164.fullmatch(phone):
        raise InvalidInput(
            f"phone `{phone}` is not in E.164 form: write `+`, the country code and the "
            "number, digits only, e.g. `+14155550123`"
        )
    return phone


def checked_full_name(full_name: str) -> str:
    check_text("full name", full_name, most=_text.NAME)
    if not full_name.strip():
        raise InvalidInput("the full name is empty: give the person's name")
    return full_name.strip()


@dataclass(frozen=True)
class UserView:
    """A user as the user list shows them."""

    user: Node
    status: str
    source: str
    full_name: str
    groups: tuple[str, ...]
    manager: str | None


@dataclass(frozen=True)
class UserPage:
    users: tuple[UserView, ...]
    end_cursor: str | None  # pass as `after` for the next page
    has_next_page: bool


def list_users(
    services: Services,
    *,
    actor: str,
    first: int = 50,
    after: str | None = None,
    search: str = "",
    role: str | None = None,
    status: str | None = None,
    source: str | None = None,
) -> UserPage:
    """Users by email, `first` at a time after the opaque cursor `after`, as an admin or
    an auditor; `search` matches email and full name (case-insensitive), the others are
    exact filters."""
    require_allowed(services, actor, "viewUsers", Target.api())
    if not 0 <= first <= MAX_PAGE:
        raise InvalidInput(f"page size `{first}` is outside 0..{MAX_PAGE}: ask for fewer")
    check_text("search", search, most=_text.NAME)
    _check_choice("role", role, ROLES)
    _check_choice("status", status, STATUSES)
    _check_choice("source", source, SOURCES)
    start = _cursor_key(after)
    needle = search.strip().lower()
    chosen = [
        node
        for node in services.store.find_nodes("User")
        if (start is None or node.key > start)
        and (role is None or node.props.get("role") == role)
        and (status is None or status_of(node) == status)
        and (source is None or source_of(node) == source)
        and (not needle or needle in node.key.lower() or needle in full_name_of(node).lower())
    ]
    page = chosen[:first]
    views = tuple(user_view(services, node) for node in page)
    end = _cursor(page[-1].key) if page else after
    return UserPage(views, end, len(chosen) > first)


def update_user(
    services: Services,
    *,
    actor: str,
    user: str,
    full_name: str | None = None,
    phone: str | None = None,
) -> Node:
    """Change `user`'s full name and/or phone (an empty phone removes it), as an admin."""
    require_allowed(services, actor, "manageUsers", Target.user(user))
    check_text("user", user, most=_text.EMAIL)
    changes: dict[str, str | None] = {}
    if full_name is not None:
        changes["full_name"] = changes["name"] = checked_full_name(full_name)
    if phone is not None:
        changes["phone"] = checked_phone(phone) if phone else None
    node = _existing(services.store, user)
    if not changes:
        return node
    event = audit.Entry(
        kind="user.updated",
        at=services.clock(),
        actor=actor,
        subject=user,
        data={"changed": sorted(k for k in changes if k != "name")},
    )
    try:
        audit.write(services.store, [SetProps("User", user, changes)], event)
    except ConflictError as lost:
        raise StateConflict(f"`{user}` changed meanwhile: look again") from lost
    return Node("User", user, {**node.props, **changes})


def enable_user(services: Services, *, actor: str, user: str) -> Node:
    """Enable a disabled `user` again, as an admin (their grants stay revoked)."""
    require_allowed(services, actor, "manageUsers", Target.user(user))
    return enable_unguarded(services, actor=actor, user=user)


def enable_unguarded(services: Services, *, actor: str, user: str) -> Node:
    """`enable_user` without the API policy, for callers authorized otherwise (a SCIM
    client's token)."""
    check_text("user", user, most=_text.EMAIL)
    node = _existing(services.store, user)
    if not node.props.get("disabled"):
        raise StateConflict(f"user `{user}` is not disabled")
    op = SetProps("User", user, {"disabled": None}, {"disabled": node.props.get("disabled")})
    event = audit.Entry(kind="user.enabled", at=services.clock(), actor=actor, subject=user)
    try:
        audit.write(services.store, [op], event)
    except ConflictError as lost:
        raise StateConflict(f"`{user}` changed meanwhile: look again") from lost
    return Node("User", user, {k: v for k, v in node.props.items() if k != "disabled"})


def delete_user(services: Services, *, actor: str, user: str) -> list[str]:
    """Delete `user`, as an admin; returns the requests whose grant was revoked.

    They are disabled first (never the last admin) with their sessions ended, so they can
    do nothing more; then their open requests are cancelled and grants revoked (as on a
    disable); then the user, their invitations and API tokens go. The activity log keeps
    their history. When an integration refuses a revoke they stay, disabled, and
    RevokeFailed says which: delete them again once it is fixed."""
    require_allowed(services, actor, "manageUsers", Target.user(user))
    return delete_unguarded(services, actor=actor, user=user)


def delete_unguarded(services: Services, *, actor: str, user: str) -> list[str]:
    """`delete_user` without the API policy, for callers authorized otherwise (a SCIM
    client's token)."""
    check_text("user", user, most=_text.EMAIL)
    store = services.store
    node = _existing(store, user)
    if not node.props.get("disabled"):
        _disable_for_deletion(services, node, actor=actor)
    done = offboard(services, [user], actor=actor, reason=f"user `{user}` was deleted")
    if done.failed:
        raise RevokeFailed(failure_message(list(done.revoked), list(done.failed)))
    ops: list[WriteOp] = [DeleteNode("User", user)]
    ops += [DeleteNode("Invite", n.key) for n in store.find_nodes("Invite", equals={"user": user})]
    ops += [
        DeleteNode("ApiToken", n.key) for n in store.find_nodes("ApiToken", equals={"owner": user})
    ]
    ops += end_sessions_ops(store, user)
    event = audit.Entry(
        kind="user.deleted",
        at=services.clock(),
        actor=actor,
        subject=user,
        data={"role": str(node.props.get("role", "")), "revoked": list(done.revoked)},
    )
    audit.write(store, ops, event)
    return list(done.revoked)


def _disable_for_deletion(services: Services, node: Node, *, actor: str) -> None:
    user = node.key
    before = {"disabled": node.props.get("disabled")}
    ops: list[WriteOp] = [SetProps("User", user, {"disabled": True}, before)]
    if node.props.get("role") == "admin":
        ops += keep_an_admin(services.store, user, doing=f"delete `{user}`")
    ops += end_sessions_ops(services.store, user)
    event = audit.Entry(
        kind="user.disabled",
        at=services.clock(),
        actor=actor,
        subject=user,
        data={"reason": "being deleted"},
    )
    try:
        audit.write(services.store, ops, event)
    except ConflictError as lost:
        raise StateConflict(f"`{user}` or the admins changed meanwhile: look again") from lost


def _existing(store: GraphStore, user: str) -> Node:
    node = store.get_node("User", user)
    if node is None:
        raise NotFound(f"no user `{user}` exists: check the email")
    return node


def user_view(services: Services, node: Node) -> UserView:
    """User `node` as the user list shows them (reads their groups and manager)."""
    store = services.store
    ref = NodeRef("User", node.key)
    groups = tuple(sorted(e.dst.key for e in store.edges("MEMBER_OF", src=ref)))
    managers = store.edges("REPORTS_TO", src=ref)
    return UserView(
        user=node,
        status=status_of(node),
        source=source_of(node),
        full_name=full_name_of(node),
        groups=groups,
        manager=managers[0].dst.key if managers else None,
    )


def _check_choice(label: str, value: str | None, allowed: tuple[str, ...]) -> None:
    if value is not None and value not in allowed:
        check_text(label, value, most=_text.KEY)
        raise InvalidInput(f"{label} `{value}` is unknown: use one of {', '.join(allowed)}")


def _cursor(key: str) -> str:
    return base64.urlsafe_b64encode((_CURSOR_PREFIX + key).encode()).decode()


def _cursor_key(after: str | None) -> str | None:
    """The user key a cursor stands for; InvalidInput for one this list did not hand out."""
    if after is None:
        return None
    check_text("cursor", after, most=2 * _text.EMAIL)
    try:
        text = base64.urlsafe_b64decode(after.encode("ascii")).decode()
    except (binascii.Error, UnicodeError, ValueError):
        text = ""
    if not text.startswith(_CURSOR_PREFIX):
        raise InvalidInput(f"cursor `{after}` is not one the user list hands out: pass endCursor")
    return text.removeprefix(_CURSOR_PREFIX)
