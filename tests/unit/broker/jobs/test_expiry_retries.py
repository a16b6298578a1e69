"""A revoke that fails is retried with backoff; one that keeps failing is flagged to admins."""

from __future__ import annotations

import pytest

from broker import Services, approve_request, audit, expire_due_grants, request_access
from broker._backoff import RetryPolicy
from broker.demo import DEMO_ADMIN, DEMO_APPROVER, DEMO_GRANTEE
from broker.notify import NoticeKind
from graph import Node
from tests.support.clock import ManualClock
from tests.support.notices import KeptNotices

POLICY = RetryPolicy(max_attempts=3, base_delay=10.0, max_delay=40.0)


class FlakyRevoke:
    """Grants fine; fails the first `failures` revokes."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.revokes = 0

    def grant(self, request: Node) -> dict[str, str]:
        return {}

    def revoke(self, request: Node) -> None:
        self.revokes += 1
        if self.revokes <= self.failures:
            raise ConnectionError("integration `pg-prod` unreachable")


def _granted(services: Services, minutes: int = 30) -> str:
    key = request_access(
        services,
        requester=DEMO_GRANTEE,
        resource="pg-prod/payments",
        permissions=["read"],
        duration_minutes=minutes,
        justification="ticket 3",
    ).key
    approve_request(services, approver=DEMO_APPROVER, request=key)
    return key


def _props(services: Services, key: str) -> dict[str, object]:
    node = services.store.get_node("AccessRequest", key)
    assert node is not None
    return dict(node.props)


def test_failed_revoke_waits_its_backoff_then_expires(
    services: Services, clock: ManualClock
) -> None:
    flaky = FlakyRevoke(failures=2)
    services.provisioner = flaky
    key = _granted(services)
    clock.advance(30 * 60)
    assert expire_due_grants(services, retry=POLICY) == []
    first = _props(services, key)
    assert first["state"] == "GRANTED" and first["revoke_failures"] == 1
    assert "unreachable" in str(first["revoke_error"])
    assert 5.0 <= float(first["revoke_retry_at"]) - clock() <= 10.0  # type: ignore[arg-type]

    clock.advance(4)
    assert expire_due_grants(services, retry=POLICY) == []
    assert flaky.revokes == 1, "no retry before the backoff has passed"
    clock.advance(6)
    assert expire_due_grants(services, retry=POLICY) == []
    assert flaky.revokes == 2 and _props(services, key)["revoke_failures"] == 2
    clock.advance(20)
    assert expire_due_grants(services, retry=POLICY) == [key]
    assert _props(services, key)["state"] == "EXPIRED"
    kinds = [e.kind for e in audit.read_events(services.store) if e.subject == key]
    assert kinds[-3:] == ["grant.revoke_failed", "grant.revoke_failed", "grant.expired"]
    assert audit.verify_chain(services.store).ok


def test_revoke_failing_too_often_flags_the_grant_and_tells_admins_once(
    services: Services, clock: ManualClock
) -> None:
    services.provisioner = FlakyRevoke(failures=10)
    recorder = KeptNotices()
    services.notifier = recorder
    key = _granted(services)
    clock.advance(30 * 60)
    for _ in range(5):
        expire_due_grants(services, retry=POLICY)
        clock.advance(POLICY.max_delay)
    props = _props(services, key)
    assert props["revoke_failures"] == 5 and props["revoke_flagged"] is True
    assert props["state"] == "GRANTED", "it stays due and keeps being retried"
    flagged = [n for n in recorder.notices if n.admins]
    assert len(flagged) == 1
    assert flagged[0].kind is NoticeKind.FAILED and flagged[0].admins == (DEMO_ADMIN,)
    assert flagged[0].details["stage"] == "revoke" and flagged[0].details["failures"] == 3
    kinds = [e.kind for e in audit.read_events(services.store) if e.subject == key]
    assert kinds.count("grant.revoke_flagged") == 1
    assert kinds.count("grant.revoke_failed") == 4


@pytest.mark.parametrize("attempt", [1, 2, 3, 4])
def test_revoke_backoff_doubles_up_to_the_ceiling(attempt: int) -> None:
    ceiling = min(POLICY.max_delay, POLICY.base_delay * 2 ** (attempt - 1))
    assert all(ceiling / 2 <= POLICY.delay(attempt) <= ceiling for _ in range(20))
