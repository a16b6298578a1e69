"""Disabling a user ends everything they have in flight: open requests are cancelled (each
with a trace), then their grants are revoked."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

import pytest

from broker import Services, audit, request_access
from broker.demo import DEMO_ADMIN, DEMO_GRANTEE
from broker.grants._grants import RevokeFailed
from broker.identities.disable_user import disable_user
from graph import GraphStore, Node, NodeRef, SetProps, UpsertEdge, UpsertNode, WriteOp
from graph.values import Props
from tests.support.clock import ManualClock
from tests.support.grants_lab import RESOURCE, access_keys, add_lab, ask, state_of

KIM = "kim@acme.example"


def _pending(services: Services, requester: str = DEMO_GRANTEE) -> Node:
    """A request waiting for DEMO_APPROVER (demo flow `db-readers`)."""
    return request_access(
        services,
        requester=requester,
        resource="pg-prod/analytics",
        permissions=["read"],
        duration_minutes=60,
        justification="quarterly report",
    )


def _scheduled(services: Services, clock: ManualClock) -> Node:
    """An auto-approved request waiting APPROVED for its start, an hour from now."""
    return request_access(
        services,
        requester=DEMO_GRANTEE,
        resource=RESOURCE,
        permissions=["read"],
        duration_minutes=30,
        starts_at=clock() + 3600,
    )


def test_disabling_cancels_pending_and_approved_requests_and_revokes_grants(
    services: Services, clock: ManualClock
) -> None:
    add_lab(services)
    granted, pending, scheduled = ask(services), _pending(services), _scheduled(services, clock)
    assert state_of(services, scheduled.key) == "APPROVED"
    services.store.write(
        [
            UpsertNode("User", KIM, {"email": KIM, "role": "grantee"}),
            UpsertEdge("MEMBER_OF", NodeRef("User", KIM), NodeRef("Group", "backend")),
        ]
    )
    others = _pending(services, requester=KIM)

    revoked = disable_user(services, actor=DEMO_ADMIN, user=DEMO_GRANTEE, reason="left")

    assert revoked == [granted.key]
    assert state_of(services, granted.key) == "REVOKED"
    assert access_keys(services) == []
    for request in (pending, scheduled):
        assert state_of(services, request.key) == "CANCELLED"
    assert state_of(services, others.key) == "PENDING", "someone else's request stays"
    cancelled = {
        e.subject: (e.actor, e.data["was"], e.data["reason"])
        for e in audit.read_events(services.store)
        if e.kind == "request.cancelled"
    }
    assert cancelled == {
        pending.key: (DEMO_ADMIN, "PENDING", "left"),
        scheduled.key: (DEMO_ADMIN, "APPROVED", "left"),
    }
    clock.advance(2 * 3600)
    node = services.store.get_node("AccessRequest", scheduled.key)
    assert node is not None and node.props["state"] == "CANCELLED", "never starts"


def test_the_cancel_and_the_disable_commit_even_when_a_revoke_fails(
    services: Services, clock: ManualClock
) -> None:
    add_lab(services)
    granted, pending = ask(services), _pending(services)

    class _Down:
        def grant(self, request: Node) -> dict[str, str]:
            return {}

        def revoke(self, request: Node) -> None:
            raise RuntimeError("the lab database is down")

    services.provisioner = _Down()
    with pytest.raises(RevokeFailed, match=f"integration failed for `{granted.key}`: try again"):
        disable_user(services, actor=DEMO_ADMIN, user=DEMO_GRANTEE)
    assert state_of(services, pending.key) == "CANCELLED"
    assert state_of(services, granted.key) == "GRANTED", "expiry still revokes it"
    user = services.store.get_node("User", DEMO_GRANTEE)
    assert user is not None and user.props["disabled"] is True


class _ApproverFirst:
    """The graph, except that an approver moves `request` PENDING -> APPROVED just before
    the first write that cancels it: the race an approver wins by a hair."""

    def __init__(self, store: GraphStore, request: str) -> None:
        self._store, self._request, self._raced = store, request, False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def write(self, ops: Sequence[WriteOp]) -> None:
        self._race_if_cancelling(ops)
        self._store.write(ops)

    def write_from(
        self, ops: Sequence[WriteOp], locked: NodeRef, build: Callable[[Props], Sequence[WriteOp]]
    ) -> None:
        self._race_if_cancelling(ops)
        self._store.write_from(ops, locked, build)

    def _race_if_cancelling(self, ops: Sequence[WriteOp]) -> None:
        if not self._raced and any(
            isinstance(op, SetProps)
            and op.key == self._request
            and op.props.get("state") == "CANCELLED"
            for op in ops
        ):
            self._raced = True
            self._store.write(
                [
                    SetProps(
                        "AccessRequest", self._request, {"state": "APPROVED"}, {"state": "PENDING"}
                    )
                ]
            )


def test_a_request_an_approver_approves_during_the_disable_is_cancelled_from_approved(
    services: Services,
) -> None:
    pending = _pending(services)
    services.store = cast(GraphStore, _ApproverFirst(services.store, pending.key))
    disable_user(services, actor=DEMO_ADMIN, user=DEMO_GRANTEE)
    assert state_of(services, pending.key) == "CANCELLED"
    (event,) = [e for e in audit.read_events(services.store) if e.kind == "request.cancelled"]
    assert event.data["was"] == "APPROVED"
