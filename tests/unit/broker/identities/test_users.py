"""Roles and disabling: admins only, traced, and never leaving Keyturn without an admin."""

from __future__ import annotations

import threading

import pytest

from broker import Forbidden, InvalidInput, Services, StateConflict, audit
from broker.demo import DEMO_ADMIN, DEMO_APPROVER, DEMO_AUDITOR, DEMO_GRANTEE
from broker.identities.disable_user import disable_user
from broker.identities.set_user_role import set_user_role


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
