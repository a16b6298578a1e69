"""Giving access back early, revoking it as an admin, in bulk, and on disabling a user."""

from __future__ import annotations

import threading

import pytest

from broker import Forbidden, Services, StateConflict, audit, expire_due_grants
from broker.demo import DEMO_ADMIN, DEMO_APPROVER, DEMO_AUDITOR, DEMO_GRANTEE
from broker.errors import InvalidInput, NotFound
from broker.grants._grants import RevokeFailed
from broker.grants.revoke_grant import revoke_grant
from broker.grants.revoke_grants import revoke_grants
from broker.identities.disable_user import disable_user
from graph import Node
from tests.support.clock import ManualClock
from tests.support.grants_lab import RESOURCE, access_keys, add_lab, ask, state_of


def _kinds(services: Services, subject: str) -> list[str]:
    return [e.kind for e in audit.read_events(services.store) if e.subject == subject]


def test_grantee_gives_access_back_early_and_the_edge_goes_with_a_trace(
    services: Services,
) -> None:
    add_lab(services)
    key = ask(services).key
    assert access_keys(services) == [key]

    revoked = revoke_grant(services, actor=DEMO_GRANTEE, request=key, reason="done early")
    assert revoked.props["state"] == "REVOKED"
    assert state_of(services, key) == "REVOKED"
    assert access_keys(services) == []
    node = services.store.get_node("AccessRequest", key)
    assert node is not None and node.props["revoked_by"] == DEMO_GRANTEE
    assert node.props["reason"] == "done early"
    assert _kinds(services, key)[-1] == "grant.revoked"


def test_revoking_twice_is_a_conflict_and_changes_nothing(services: Services) -> None:
    add_lab(services)
    key = ask(services).key
    revoke_grant(services, actor=DEMO_ADMIN, request=key)
    events = len(list(audit.read_events(services.store)))
    with pytest.raises(StateConflict, match=f"request `{key}` is REVOKED"):
        revoke_grant(services, actor=DEMO_ADMIN, request=key)
    assert state_of(services, key) == "REVOKED"
    assert len(list(audit.read_events(services.store))) == events


def test_only_the_grantee_and_admins_revoke_never_auditors_or_others(
    services: Services,
) -> None:
    add_lab(services)
    key = ask(services).key
    with pytest.raises(Forbidden, match="only admins may revoke someone else's access"):
        revoke_grant(services, actor=DEMO_AUDITOR, request=key)
    with pytest.raises(Forbidden):
        revoke_grant(services, actor=DEMO_APPROVER, request=key)
    assert state_of(services, key) == "GRANTED"
    assert revoke_grant(services, actor=DEMO_ADMIN, request=key).props["state"] == "REVOKED"


class _Refusing:
    def grant(self, request: Node) -> dict[str, str]:
        return {}

    def revoke(self, request: Node) -> None:
        raise ConnectionError("integration down")


def test_a_revoke_the_integration_refuses_leaves_the_grant_as_it_was(
    services: Services,
) -> None:
    add_lab(services)
    key = ask(services).key
    services.provisioner = _Refusing()
    with pytest.raises(RevokeFailed, match="integration down; nothing changed"):
        revoke_grant(services, actor=DEMO_GRANTEE, request=key)
    assert state_of(services, key) == "GRANTED"
    assert access_keys(services) == [key]


def _race_revoke_with_expiry(services: Services, key: str) -> list[str]:
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def revoke() -> None:
        barrier.wait()
        try:
            revoke_grant(services, actor=DEMO_ADMIN, request=key)
            outcomes.append("revoked")
        except StateConflict:
            outcomes.append("conflict")

    def expire() -> None:
        barrier.wait()
        outcomes.append("expired" if key in expire_due_grants(services) else "skipped")

    threads = [threading.Thread(target=revoke), threading.Thread(target=expire)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


def test_concurrent_revoke_and_expiry_end_the_grant_exactly_once(
    services: Services, clock: ManualClock
) -> None:
    add_lab(services)
    for _ in range(5):
        key = ask(services, minutes=1).key
        clock.advance(61)
        outcomes = _race_revoke_with_expiry(services, key)
        assert outcomes in (["conflict", "expired"], ["revoked", "skipped"]), outcomes
        ends = [k for k in _kinds(services, key) if k in ("grant.revoked", "grant.expired")]
        assert len(ends) == 1, ends
        assert access_keys(services) == []


def test_bulk_revoke_takes_every_grant_of_a_user_or_on_a_resource(services: Services) -> None:
    add_lab(services)
    mine = [ask(services).key, ask(services).key]
    theirs = ask(services, requester=DEMO_APPROVER).key
    assert sorted(revoke_grants(services, actor=DEMO_ADMIN, identity=DEMO_GRANTEE)) == sorted(mine)
    assert state_of(services, theirs) == "GRANTED"
    assert revoke_grants(services, actor=DEMO_ADMIN, resource=RESOURCE) == [theirs]
    assert revoke_grants(services, actor=DEMO_ADMIN, resource=RESOURCE) == []


def test_bulk_revoke_is_refused_whole_when_one_grant_is_not_the_callers(
    services: Services,
) -> None:
    add_lab(services)
    mine = ask(services).key
    theirs = ask(services, requester=DEMO_APPROVER).key
    with pytest.raises(Forbidden):
        revoke_grants(services, actor=DEMO_GRANTEE, resource=RESOURCE)
    assert (state_of(services, mine), state_of(services, theirs)) == ("GRANTED", "GRANTED")
    assert revoke_grants(services, actor=DEMO_GRANTEE, identity=DEMO_GRANTEE) == [mine]


def test_bulk_revoke_needs_exactly_one_existing_scope(services: Services) -> None:
    with pytest.raises(InvalidInput, match="either a user or a resource"):
        revoke_grants(services, actor=DEMO_ADMIN)
    with pytest.raises(InvalidInput):
        revoke_grants(services, actor=DEMO_ADMIN, identity=DEMO_GRANTEE, resource=RESOURCE)
    with pytest.raises(NotFound, match="`nobody@x`"):
        revoke_grants(services, actor=DEMO_ADMIN, identity="nobody@x")


def test_disabling_a_user_revokes_all_their_grants_with_a_trace(services: Services) -> None:
    add_lab(services)
    keys = sorted([ask(services).key, ask(services).key])
    assert sorted(disable_user(services, actor=DEMO_ADMIN, user=DEMO_GRANTEE)) == keys
    assert [state_of(services, k) for k in keys] == ["REVOKED", "REVOKED"]
    user = services.store.get_node("User", DEMO_GRANTEE)
    assert user is not None and user.props["disabled"] is True
    assert "user.disabled" in [e.kind for e in audit.read_events(services.store)]
    with pytest.raises(StateConflict, match="disabled already"):
        disable_user(services, actor=DEMO_ADMIN, user=DEMO_GRANTEE)
    with pytest.raises(Forbidden):
        revoke_grant(services, actor=DEMO_GRANTEE, request=keys[0])
