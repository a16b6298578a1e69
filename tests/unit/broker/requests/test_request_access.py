"""Auto-approval: every state and event recorded, in as few writes as provisioning allows."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from broker import RequestState, Services, audit, request_access
from broker.demo import DEMO_GRANTEE
from graph import GraphStore, Node, NodeRef, WriteOp
from graph.values import Props


class _CountingStore:
    """The real store, counting the writes that reach it."""

    def __init__(self, inner: GraphStore) -> None:
        self.inner = inner
        self.writes = 0

    def write(self, ops: Sequence[WriteOp]) -> None:
        self.writes += 1
        self.inner.write(ops)

    def write_from(
        self, ops: Sequence[WriteOp], locked: NodeRef, build: Callable[[Props], Sequence[WriteOp]]
    ) -> None:
        self.writes += 1
        self.inner.write_from(ops, locked, build)

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


class _StatefulProvisioner:
    """An integration with side effects: notes the request's stored state at `grant`."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self.seen: list[str] = []

    def grant(self, request: Node) -> dict[str, str]:
        stored = self.store.get_node("AccessRequest", request.key)
        assert stored is not None
        self.seen.append(str(stored.props["state"]))
        return {}

    def revoke(self, request: Node) -> None:
        return None


def _ask(services: Services) -> Node:
    return request_access(
        services,
        requester=DEMO_GRANTEE,
        resource="pg-prod/orders",
        permissions=["read"],
        duration_minutes=30,
    )


def _history(services: Services, key: str) -> list[str]:
    return [e.kind for e in audit.read_events(services.store) if e.subject == key]


def test_auto_approval_with_the_graph_only_provisioner_is_one_write_with_every_step(
    services: Services,
) -> None:
    """Created, approved, granting and granted commit together, each step in the log."""
    counting = _CountingStore(services.store)
    services.store = counting  # type: ignore[assignment]
    granted = _ask(services)
    assert counting.writes == 1
    assert granted.props["state"] == RequestState.GRANTED
    assert granted.props["expires_at"] == granted.props["granted_at"] + 30 * 60
    stored = counting.inner.get_node("AccessRequest", granted.key)
    assert stored is not None and dict(stored.props) == dict(granted.props)
    assert _history(services, granted.key) == [
        "request.created",
        "request.approved",
        "grant.started",
        "grant.granted",
    ]
    assert audit.verify_chain(counting.inner).ok


def test_a_provisioner_with_side_effects_grants_only_after_granting_is_stored(
    services: Services,
) -> None:
    """A real integration's `grant` runs between the GRANTING and the GRANTED writes."""
    counting = _CountingStore(services.store)
    provisioner = _StatefulProvisioner(counting.inner)
    services.store = counting  # type: ignore[assignment]
    services.provisioner = provisioner
    granted = _ask(services)
    assert provisioner.seen == ["GRANTING"]
    assert counting.writes == 2
    assert granted.props["state"] == RequestState.GRANTED
    assert _history(services, granted.key) == [
        "request.created",
        "request.approved",
        "grant.started",
        "grant.granted",
    ]
