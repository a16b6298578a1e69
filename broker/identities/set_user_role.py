"""An admin gives a user a role: admin, grantee or auditor."""

from __future__ import annotations

from broker import audit
from broker._lookup import require_allowed
from broker._text import EMAIL, KEY, check_text
from broker.errors import InvalidInput, NotFound, StateConflict
from broker.identities.sessions import end_sessions_ops
from broker.services import Services
from graph import ConflictError, GraphStore, Node, SetProps, WriteOp
from policies.api_authz import ROLES, Target


def set_user_role(services: Services, *, actor: str, user: str, role: str) -> Node:
    """Make `user` a `role`, as an admin; returns the user. Setting the role a user has
    already changes nothing. Raises StateConflict when it would leave no enabled admin."""
    require_allowed(services, actor, "manageUsers", Target.user(user))
    check_text("user", user, most=EMAIL)
    check_text("role", role, most=KEY)
    if role not in ROLES:
        raise InvalidInput(f"role `{role}` is unknown: use one of {', '.join(ROLES)}")
    store = services.store
    node = store.get_node("User", user)
    if node is None:
        raise NotFound(f"no user `{user}` exists: check the email")
    before = node.props.get("role")
    if before == role:
        return node
    ops: list[WriteOp] = [SetProps("User", user, {"role": role}, {"role": before})]
    if before == "admin":
        ops += keep_an_admin(store, user, doing=f"make `{user}` a {role}")
    # A new role, a new sign-in: no browser keeps a session started under the old one.
    ops += end_sessions_ops(store, user)
    event = audit.Entry(
        kind="user.role_set",
        at=services.clock(),
        actor=actor,
        subject=user,
        data={"role": role, "previous": before},
    )
    try:
        audit.write(store, ops, event)
    except ConflictError as lost:
        raise StateConflict(
            f"the roles changed meanwhile: look at `{user}` and the other admins again"
        ) from lost
    return Node("User", user, {**node.props, "role": role})


def keep_an_admin(store: GraphStore, leaving: str, *, doing: str) -> list[SetProps]:
    """A check, written with the change, that another enabled admin stays an admin: two
    admins demoting each other at once cannot both win. Raises StateConflict when
    `leaving` is the last enabled admin."""
    others = [
        admin
        for admin in store.find_nodes("User", equals={"role": "admin"})
        if admin.key != leaving and not admin.props.get("disabled")
    ]
    if not others:
        raise StateConflict(f"`{leaving}` is the last admin: make someone else admin, then {doing}")
    other = others[0]
    expect = {"role": "admin", "disabled": other.props.get("disabled")}
    return [SetProps("User", other.key, {"role": "admin"}, expect)]
