"""Roles and disabling: admins only, traced, and never leaving Keyturn without an admin."""

from __future__ import annotations

import threading

import pytest

from broker import Forbidden, InvalidInput, NotFound, Services, StateConflict, audit
from broker.demo import DEMO_ADMIN, DEMO_APPROVER, DEMO_AUDITOR, DEMO_GRANTEE
from broker.identities.disable_user import disable_user
from broker.identities.invitations import invite_user
from broker.identities.sessions import session_viewer, start_session
from broker.identities.set_user_role import set_user_role
from broker.identities.users import (
    delete_user,
    enable_user,
    list_users,
    update_user,
)
from graph import NodeRef, UpsertEdge, UpsertNode
from tests.support.grants_lab import access_keys, add_lab, ask, state_of


def _role(services: Services, user: str) -> str:
    node = services.store.get_node("User", user)
    assert node is not None
    return str(node.props["role"])


def test_an_admin_sets_a_role_with_a_trace(services: Services) -> None:
    set_user_role(services, actor=DEMO_ADMIN, user=DEMO_GRANTEE, role="auditor")
    assert _role(services, DEMO_GRANTEE) == "auditor"
    (event,) = [e for e in audit.read_events(services.store) if e.kind == "user.role_set"]
    assert (event.actor, event.subject) == (DEMO_ADMIN, DEMO_GRANTEE)
    assert event.data == {"role": "auditor", "previous": "grantee"}


def test_unknown_roles_and_non_admins_are_refused(services: Services) -> None:
    with pytest.raises(InvalidInput, match="role `root` is unknown: use one of admin, grantee"):
        set_user_role(services, actor=DEMO_ADMIN, user=DEMO_GRANTEE, role="root")
    with pytest.raises(Forbidden, match="only admins may manage users"):
        set_user_role(services, actor=DEMO_AUDITOR, user=DEMO_AUDITOR, role="admin")
    assert _role(services, DEMO_AUDITOR) == "auditor"


def test_the_last_admin_cannot_be_demoted_or_disabled(services: Services) -> None:
    with pytest.raises(StateConflict, match=f"`{DEMO_ADMIN}` is the last admin"):
        set_user_role(services, actor=DEMO_ADMIN, user=DEMO_ADMIN, role="grantee")
    with pytest.raises(StateConflict, match="is the last admin"):
        disable_user(services, actor=DEMO_ADMIN, user=DEMO_ADMIN)
    assert _role(services, DEMO_ADMIN) == "admin"


def test_two_admins_demoting_each_other_at_once_leave_one_admin(services: Services) -> None:
    set_user_role(services, actor=DEMO_ADMIN, user=DEMO_APPROVER, role="admin")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def demote(actor: str, user: str) -> None:
        barrier.wait()
        try:
            set_user_role(services, actor=actor, user=user, role="grantee")
            outcomes.append("won")
        except (StateConflict, Forbidden):
            outcomes.append("refused")

    threads = [
        threading.Thread(target=demote, args=(DEMO_ADMIN, DEMO_APPROVER)),
        threading.Thread(target=demote, args=(DEMO_APPROVER, DEMO_ADMIN)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "won"]
    admins = [u for u in (DEMO_ADMIN, DEMO_APPROVER) if _role(services, u) == "admin"]
    assert len(admins) == 1


# --- the user list and an admin's changes (broker.identities.users) ---------------------

DEMO_USERS = [DEMO_ADMIN, DEMO_APPROVER, DEMO_GRANTEE, DEMO_AUDITOR]


def _invite(services: Services, email: str, name: str, role: str = "grantee") -> None:
    invite_user(services, actor=DEMO_ADMIN, email=email, full_name=name, role=role)


def _emails(services: Services, **filters: object) -> list[str]:
    page = list_users(services, actor=DEMO_AUDITOR, first=100, **filters)  # type: ignore[arg-type]
    return [view.user.key for view in page.users]


def test_existing_users_read_as_active_demo_users_with_groups_and_manager(
    services: Services,
) -> None:
    """Users from before invitations (no status, no source) keep working: ACTIVE, demo."""
    page = list_users(services, actor=DEMO_ADMIN)
    assert [v.user.key for v in page.users] == sorted(DEMO_USERS)
    linus = next(v for v in page.users if v.user.key == DEMO_GRANTEE)
    assert (linus.status, linus.source, linus.full_name) == ("ACTIVE", "demo", "Linus Engineer")
    assert (linus.groups, linus.manager) == (("backend",), DEMO_APPROVER)
    assert page.has_next_page is False


def test_the_list_pages_with_an_opaque_cursor(services: Services) -> None:
    for i in range(5):
        _invite(services, f"p{i}@corp.example", f"Person {i}")
    seen: list[str] = []
    after = None
    while True:
        page = list_users(services, actor=DEMO_ADMIN, first=3, after=after)
        seen += [v.user.key for v in page.users]
        assert page.end_cursor is not None and "@" not in page.end_cursor
        after = page.end_cursor
        if not page.has_next_page:
            break
    assert seen == sorted(DEMO_USERS + [f"p{i}@corp.example" for i in range(5)])
    with pytest.raises(InvalidInput, match="cursor `nonsense` is not one the user list hands"):
        list_users(services, actor=DEMO_ADMIN, after="nonsense")
    with pytest.raises(InvalidInput, match=r"page size `501` is outside 0\.\.500"):
        list_users(services, actor=DEMO_ADMIN, first=501)


def test_the_list_filters_by_search_role_status_and_source(services: Services) -> None:
    _invite(services, "nora@corp.example", "Nora Quist", role="auditor")
    services.store.write(
        [
            UpsertNode(
                "User", "sam@corp.example", {"email": "sam@corp.example", "sync_source": "okta"}
            )
        ]
    )
    disable_user(services, actor=DEMO_ADMIN, user=DEMO_APPROVER)
    assert _emails(services, search="QUIST") == ["nora@corp.example"]
    assert _emails(services, search="acme") == sorted(DEMO_USERS)
    assert _emails(services, role="auditor") == [DEMO_AUDITOR, "nora@corp.example"]
    assert _emails(services, status="INVITED") == ["nora@corp.example"]
    assert _emails(services, status="DISABLED") == [DEMO_APPROVER]
    assert _emails(services, source="invite") == ["nora@corp.example"]
    assert _emails(services, source="sync") == ["sam@corp.example"]
    with pytest.raises(InvalidInput, match="status `GONE` is unknown: use one of INVITED"):
        _emails(services, status="GONE")


def test_grantees_may_not_list_users(services: Services) -> None:
    with pytest.raises(Forbidden, match="only admins and auditors may see the list of users"):
        list_users(services, actor=DEMO_GRANTEE)


def test_an_admin_updates_name_and_phone_and_a_bad_phone_changes_nothing(
    services: Services,
) -> None:
    update_user(
        services, actor=DEMO_ADMIN, user=DEMO_GRANTEE, full_name="Linus T", phone="+4930123"
    )
    node = services.store.get_node("User", DEMO_GRANTEE)
    assert node is not None
    assert (node.props["full_name"], node.props["phone"]) == ("Linus T", "+4930123")
    with pytest.raises(InvalidInput, match=r"not in E\.164 form"):
        update_user(services, actor=DEMO_ADMIN, user=DEMO_GRANTEE, phone="030 123")
    assert services.store.get_node("User", DEMO_GRANTEE) == node
    update_user(services, actor=DEMO_ADMIN, user=DEMO_GRANTEE, phone="")
    cleared = services.store.get_node("User", DEMO_GRANTEE)
    assert cleared is not None and "phone" not in cleared.props
    with pytest.raises(Forbidden):
        update_user(services, actor=DEMO_AUDITOR, user=DEMO_GRANTEE, full_name="X")


def test_a_disabled_user_can_be_enabled_again(services: Services) -> None:
    disable_user(services, actor=DEMO_ADMIN, user=DEMO_GRANTEE)
    enable_user(services, actor=DEMO_ADMIN, user=DEMO_GRANTEE)
    (view,) = [
        v for v in list_users(services, actor=DEMO_ADMIN).users if v.user.key == DEMO_GRANTEE
    ]
    assert view.status == "ACTIVE"
    with pytest.raises(StateConflict, match="is not disabled"):
        enable_user(services, actor=DEMO_ADMIN, user=DEMO_GRANTEE)
    assert "user.enabled" in [e.kind for e in audit.read_events(services.store)]


def test_deleting_a_user_revokes_their_grants_ends_sessions_and_keeps_history(
    services: Services,
) -> None:
    add_lab(services)
    granted = ask(services)
    started = start_session(services, user=DEMO_GRANTEE, method="password", client="127.0.0.1")

    revoked = delete_user(services, actor=DEMO_ADMIN, user=DEMO_GRANTEE)

    assert revoked == [granted.key]
    assert state_of(services, granted.key) == "REVOKED"
    assert access_keys(services) == []
    assert services.store.get_node("User", DEMO_GRANTEE) is None
    assert session_viewer(services, started.session_id) is None
    assert services.store.find_nodes("Session") == []
    about = [e.kind for e in audit.read_events(services.store) if e.subject == DEMO_GRANTEE]
    assert about[-2:] == ["user.disabled", "user.deleted"]
    assert services.store.get_node("AccessRequest", granted.key) is not None, "history stays"
    with pytest.raises(NotFound):
        delete_user(services, actor=DEMO_ADMIN, user=DEMO_GRANTEE)


def test_the_last_admin_cannot_be_deleted_and_non_admins_delete_no_one(
    services: Services,
) -> None:
    with pytest.raises(StateConflict, match=f"`{DEMO_ADMIN}` is the last admin"):
        delete_user(services, actor=DEMO_ADMIN, user=DEMO_ADMIN)
    with pytest.raises(Forbidden, match="only admins may manage users"):
        delete_user(services, actor=DEMO_AUDITOR, user=DEMO_GRANTEE)
    for user in (DEMO_ADMIN, DEMO_GRANTEE):
        node = services.store.get_node("User", user)
        assert node is not None and not node.props.get("disabled")


def test_deleting_an_invited_user_removes_their_invitation(services: Services) -> None:
    _invite(services, "nora@corp.example", "Nora Quist")
    services.store.write(
        [UpsertEdge("MEMBER_OF", NodeRef("User", "nora@corp.example"), NodeRef("Group", "sre"))]
    )
    delete_user(services, actor=DEMO_ADMIN, user="nora@corp.example")
    assert services.store.find_nodes("Invite") == []
    assert services.store.get_node("User", "nora@corp.example") is None
