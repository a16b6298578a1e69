"""A crash between the two grant writes leaves a request GRANTING; recovery finishes it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from broker import Services
from broker.jobs.recover_grants import GRACE_SECONDS, recover_grants
from broker.requests.states import RequestState
from broker.services import Provisioner
from graph import Node, SetProps
from tests.support.clock import ManualClock
from tests.support.grants_lab import access_keys, add_lab, ask, state_of
from tests.support.webhook_receiver import SECRET, Receiver, receiving


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as got:
        yield got


class _CrashAfterGrant:
    """Delivers the grant through the real integration, then dies before the broker records
    it, as a process killed between the two writes would."""

    def __init__(self, inner: Provisioner) -> None:
        self.inner = inner

    def grant(self, request: Node) -> dict[str, str]:
        self.inner.grant(request)
        raise SystemExit("killed")

    def revoke(self, request: Node) -> None:
        return None


def test_an_interrupted_grant_is_resumed_once_idempotently_after_the_grace_period(
    wired: Services, receiver: Receiver, clock: ManualClock
) -> None:
    add_lab(wired, type_="webhook", config={"url": receiver.url, "secret": SECRET})
    registry = wired.provisioner
    wired.provisioner = _CrashAfterGrant(registry)
    with pytest.raises(SystemExit):
        ask(wired)
    (stuck,) = wired.store.find_nodes("AccessRequest", equals={"resource": "lab/db"})
    assert stuck.props["state"] == "GRANTING"
    assert access_keys(wired) == []

    wired.provisioner = registry  # the restarted process
    assert recover_grants(wired) == 0, "a grant still within its grace period is left alone"
    clock.advance(GRACE_SECONDS)
    assert recover_grants(wired) == 1
    assert state_of(wired, stuck.key) == "GRANTED"
    assert access_keys(wired) == [stuck.key]
    assert receiver.idempotency_keys == [stuck.key, stuck.key], "the receiver can dedupe"
    assert recover_grants(wired) == 0


def test_recovery_leaves_a_manual_grant_waiting_for_its_task(
    wired: Services, clock: ManualClock
) -> None:
    from broker.demo import DEMO_APPROVER

    add_lab(wired, type_="manual", config={"fulfillers": [DEMO_APPROVER]})
    key = ask(wired).key
    clock.advance(GRACE_SECONDS * 2)
    assert recover_grants(wired) == 0
    assert state_of(wired, key) == "GRANTING"
    assert len(wired.store.find_nodes("Task", equals={"request": key})) == 1


def test_a_stuck_grant_the_integration_now_refuses_ends_failed(
    wired: Services, receiver: Receiver, clock: ManualClock
) -> None:
    add_lab(wired, type_="webhook", config={"url": receiver.url, "secret": SECRET})
    key = ask(wired).key
    # As if the process died right after GRANTING was stored.
    wired.store.write(
        [
            SetProps(
                "AccessRequest",
                key,
                {"state": RequestState.GRANTING.value},
                {"state": RequestState.GRANTED.value},
            )
        ]
    )
    receiver.fail = {"grant"}
    clock.advance(GRACE_SECONDS)
    assert recover_grants(wired) == 1
    assert state_of(wired, key) == "FAILED"
