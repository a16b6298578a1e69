"""Syncing the identity provider: whoever it removes or disables loses their grants (through
the integration) and their open requests, with a trace; everyone else is left alone."""

from __future__ import annotations

from typing import Any

import pytest

from broker import Forbidden, InvalidInput, Services, audit, request_access
from broker.demo import DEMO_ADMIN, DEMO_APPROVER, DEMO_GRANTEE
from broker.identities.set_user_role import set_user_role
from broker.identities.sync_identities import (
    DirectoryGroup,
    DirectoryUser,
    SyncReport,
    sync_identities,
)
from broker.services import Provisioner
from graph import Node, NodeRef
from tests.support.grants_lab import access_keys, add_lab, ask, state_of

KIM = "kim@acme.example"
LINUS = DirectoryUser(DEMO_GRANTEE, "Linus Engineer")
ACTOR = "sync:okta"


class _Recording:
    """Delegates to the real provisioner and remembers every revoke; fails `failing` ones."""

    def __init__(self, inner: Provisioner) -> None:
        self.inner = inner
        self.revoked: list[str] = []
        self.failing: set[str] = set()

    def grant(self, request: Node) -> dict[str, str]:
        return self.inner.grant(request)

    def revoke(self, request: Node) -> None:
        if request.key in self.failing:
            raise RuntimeError("the lab database is down")
        self.revoked.append(request.key)
        self.inner.revoke(request)


@pytest.fixture
def recording(services: Services) -> _Recording:
    provisioner = _Recording(services.provisioner)
    services.provisioner = provisioner
    add_lab(services)
    return provisioner


def _sync(services: Services, tag: str, *users: DirectoryUser, **extra: Any) -> SyncReport:
    return sync_identities(services, source="okta", run_tag=tag, users=list(users), **extra)


def _pending(services: Services) -> Node:
    """A request waiting for DEMO_APPROVER (demo flow `db-readers`)."""
    return request_access(
        services,
        requester=DEMO_GRANTEE,
        resource="pg-prod/analytics",
        permissions=["read"],
        duration_minutes=60,
        justification="quarterly report",
    )


def _events(services: Services, kind: str) -> list[audit.AuditEvent]:
    return [e for e in audit.read_events(services.store) if e.kind == kind]


def test_a_user_the_idp_removes_loses_grants_and_requests_then_is_deleted(
    services: Services, recording: _Recording
) -> None:
    _sync(services, "run-1", LINUS, DirectoryUser(KIM, "Kim"))
    granted, pending = ask(services), _pending(services)

    report = sync_identities(
        services, source="okta", run_tag="run-2", users=[DirectoryUser(KIM, "Kim")]
    )

    assert recording.revoked == [granted.key], "revoked through the integration"
    assert (report.removed, report.kept) == ((DEMO_GRANTEE,), ())
    assert (report.revoked, report.cancelled) == ((granted.key,), (pending.key,))
    assert state_of(services, granted.key) == "REVOKED"
    assert state_of(services, pending.key) == "CANCELLED"
    assert access_keys(services) == []
    assert services.store.get_node("User", DEMO_GRANTEE) is None
    assert services.store.get_node("User", KIM) is not None
    assert services.store.get_node("User", DEMO_APPROVER) is not None, "never synced: kept"
    (removed,) = _events(services, "user.removed")
    assert (removed.actor, removed.subject) == (ACTOR, DEMO_GRANTEE)
    assert removed.data == {"source": "okta", "run_tag": "run-2"}
    (revoked,) = _events(services, "grant.revoked")
    assert (revoked.actor, revoked.data["reason"]) == (ACTOR, "removed from `okta`")
    (cancelled,) = _events(services, "request.cancelled")
    assert (cancelled.actor, cancelled.subject, cancelled.data["was"]) == (
        ACTOR,
        pending.key,
        "PENDING",
    )


def test_a_user_synced_disabled_is_disabled_and_offboarded_once(
    services: Services, recording: _Recording
) -> None:
    _sync(services, "run-1", LINUS)
    granted, pending = ask(services), _pending(services)

    report = _sync(services, "run-2", DirectoryUser(DEMO_GRANTEE, disabled=True))
    again = _sync(services, "run-3", DirectoryUser(DEMO_GRANTEE, disabled=True))

    assert report.disabled == (DEMO_GRANTEE,)
    assert report.revoked == (granted.key,)
    assert report.cancelled == (pending.key,)
    assert (again.disabled, again.revoked, again.cancelled) == ((), (), ())
    node = services.store.get_node("User", DEMO_GRANTEE)
    assert node is not None and node.props["disabled"] is True
    assert recording.revoked == [granted.key]
    (disabled,) = _events(services, "user.disabled")
    assert (disabled.actor, disabled.subject) == (ACTOR, DEMO_GRANTEE)
    assert disabled.data == {"reason": "disabled in `okta`"}
    with pytest.raises(Forbidden, match="is disabled"):
        ask(services)


def test_a_sync_never_re_enables_a_user_nor_changes_a_role(
    services: Services, recording: _Recording
) -> None:
    _sync(services, "run-1", LINUS, DirectoryUser(KIM))
    set_user_role(services, actor=DEMO_ADMIN, user=KIM, role="auditor")
    _sync(services, "run-2", DirectoryUser(DEMO_GRANTEE, disabled=True), DirectoryUser(KIM))
    _sync(services, "run-3", LINUS, DirectoryUser(KIM, "Kim Lee"))
    linus, kim = (services.store.get_node("User", k) for k in (DEMO_GRANTEE, KIM))
    assert linus is not None and linus.props["disabled"] is True, "enabling is an admin's call"
    assert linus.props["role"] == "grantee"
    assert kim is not None and (kim.props["role"], kim.props["name"]) == ("auditor", "Kim Lee")


def test_a_removed_user_whose_revoke_fails_stays_disabled_until_a_later_run_succeeds(
    services: Services, recording: _Recording
) -> None:
    _sync(services, "run-1", LINUS, DirectoryUser(KIM))
    granted = ask(services)
    recording.failing.add(granted.key)

    report = _sync(services, "run-2", DirectoryUser(KIM))

    assert (report.removed, report.kept, report.failed) == ((), (DEMO_GRANTEE,), (granted.key,))
    node = services.store.get_node("User", DEMO_GRANTEE)
    assert node is not None and node.props["disabled"] is True
    assert state_of(services, granted.key) == "GRANTED"
    assert access_keys(services) == [granted.key]

    recording.failing.clear()
    later = _sync(services, "run-3", DirectoryUser(KIM))
    assert (later.removed, later.revoked) == ((DEMO_GRANTEE,), (granted.key,))
    assert services.store.get_node("User", DEMO_GRANTEE) is None
    assert state_of(services, granted.key) == "REVOKED"


def test_groups_memberships_and_managers_follow_the_idp(
    services: Services, recording: _Recording
) -> None:
    _sync(
        services,
        "run-1",
        LINUS,
        DirectoryUser(KIM),
        groups=[DirectoryGroup("data", "Data team")],
        memberships=[(KIM, "data"), (DEMO_GRANTEE, "data")],
        managers={KIM: DEMO_GRANTEE},
    )
    kim, linus = NodeRef("User", KIM), NodeRef("User", DEMO_GRANTEE)
    assert [e.dst.key for e in services.store.edges("MEMBER_OF", src=kim)] == ["data"]
    assert [e.dst.key for e in services.store.edges("REPORTS_TO", src=kim)] == [DEMO_GRANTEE]
    _sync(services, "run-2", LINUS, DirectoryUser(KIM), groups=[DirectoryGroup("data")])
    assert services.store.edges("MEMBER_OF", src=kim) == []
    assert services.store.edges("REPORTS_TO", src=kim) == []
    demo_edges = services.store.edges("MEMBER_OF", src=linus)
    assert [e.dst.key for e in demo_edges] == ["backend"], "manual edges stay"


def test_malformed_or_empty_syncs_are_refused_before_anything_is_written(
    services: Services, recording: _Recording
) -> None:
    _sync(services, "run-1", LINUS)
    granted = ask(services)
    refused: dict[str, dict[str, Any]] = {
        "names no user, which would remove every user": {"users": []},
        "user `linus@acme.example` appears twice": {"users": [LINUS, LINUS]},
        "membership in `ghosts` names no group": {
            "users": [DirectoryUser(DEMO_GRANTEE, disabled=True)],
            "memberships": [(DEMO_GRANTEE, "ghosts")],
        },
        "needs both to be distinct users": {
            "users": [LINUS],
            "managers": {DEMO_GRANTEE: DEMO_GRANTEE},
        },
    }
    for message, arguments in refused.items():
        with pytest.raises(InvalidInput, match=message):
            sync_identities(services, source="okta", run_tag="run-2", **arguments)
    with pytest.raises(InvalidInput, match="needs a source and a run tag"):
        sync_identities(services, source="", run_tag="run-2", users=[LINUS])
    node = services.store.get_node("User", DEMO_GRANTEE)
    assert node is not None and node.props["sync_tag"] == "run-1"
    assert not node.props.get("disabled")
    assert state_of(services, granted.key) == "GRANTED"
    report = sync_identities(services, source="okta", run_tag="run-2", users=[], allow_empty=True)
    assert report.removed == (DEMO_GRANTEE,)


def test_many_removed_users_are_offboarded_batch_by_batch(
    services: Services, recording: _Recording
) -> None:
    crowd = [DirectoryUser(f"user{i:02}@acme.example") for i in range(20)]
    _sync(services, "run-1", LINUS, DirectoryUser(KIM), *crowd)
    granted, pending = ask(services), _pending(services)

    report = _sync(services, "run-2", DirectoryUser(KIM), batch_size=16)  # 16, then 5

    assert sorted(report.removed) == sorted([DEMO_GRANTEE, *(u.email for u in crowd)])
    assert (report.revoked, report.cancelled) == ((granted.key,), (pending.key,))
    assert [n.key for n in services.store.find_nodes("User", equals={"sync_source": "okta"})] == [
        KIM
    ]
    assert len(_events(services, "user.removed")) == 21
