"""Batched expiry: each grant expired exactly once, whoever else expires at the same time."""

from __future__ import annotations

import threading
from collections import Counter

from broker import Services, audit, expire_due_grants, request_access
from broker.demo import DEMO_GRANTEE
from graph import Node, NodeRef
from tests.support.clock import ManualClock


def _grant(services: Services, count: int) -> list[str]:
    return [
        request_access(
            services,
            requester=DEMO_GRANTEE,
            resource="pg-prod/orders",
            permissions=["read"],
            duration_minutes=10,
        ).key
        for _ in range(count)
    ]


def _expiry_events(services: Services) -> Counter[str]:
    return Counter(
        e.subject for e in audit.read_events(services.store) if e.kind == "grant.expired"
    )


class _InterferingProvisioner:
    """On its first revoke, another worker expires one grant before this batch is written."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.rival: list[str] = []
        self._busy = False

    def grant(self, request: Node) -> dict[str, str]:
        return {}

    def revoke(self, request: Node) -> None:
        if not self._busy and not self.rival:
            self._busy = True
            self.rival = expire_due_grants(self.services, limit=1)
            self._busy = False


def test_a_batch_that_loses_one_grant_still_expires_the_others_once(
    services: Services, clock: ManualClock
) -> None:
    """The rival's grant is skipped; the rest are written one by one after the batch lost."""
    keys = _grant(services, 5)
    services.provisioner = _InterferingProvisioner(services)
    clock.advance(10 * 60)
    mine = expire_due_grants(services, batch=5)
    rival = services.provisioner.rival
    assert len(rival) == 1 and rival[0] not in mine
    assert sorted(mine + rival) == sorted(keys)
    assert _expiry_events(services) == Counter(keys)
    assert services.store.edges("HAS_ACCESS", dst=NodeRef("Resource", "pg-prod/orders")) == []
    assert audit.verify_chain(services.store).ok


def test_concurrent_expiry_workers_expire_each_grant_once(
    services: Services, clock: ManualClock
) -> None:
    """Four workers at once, small batches: every grant expired by exactly one of them."""
    keys = _grant(services, 24)
    clock.advance(10 * 60)
    won: list[list[str]] = [[] for _ in range(4)]
    barrier = threading.Barrier(4)

    def work(slot: int) -> None:
        barrier.wait()
        won[slot] = expire_due_grants(services, batch=4)

    workers = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(k for keys_won in won for k in keys_won) == sorted(keys)
    assert _expiry_events(services) == Counter(keys)
    assert expire_due_grants(services) == []
