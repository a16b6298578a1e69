"""The scheduler's housekeeping: on start it resumes interrupted grants and warns grantees."""

from __future__ import annotations

import time

from broker import ExpiryScheduler, Services
from broker.demo import DEMO_GRANTEE
from broker.notify_expiring_soon import LEAD_MINUTES
from broker.recover_grants import GRACE_SECONDS
from broker.states import RequestState
from graph import SetProps
from tests.support.clock import ManualClock
from tests.unit.broker.grants.conftest import add_lab, ask, state_of
from tests.unit.broker.grants.test_expiring_soon import _Recorder


def test_a_started_scheduler_finishes_a_stuck_grant_and_warns_an_expiring_one(
    services: Services, clock: ManualClock
) -> None:
    add_lab(services)
    recorder = _Recorder()
    services.notifier = recorder
    stuck = ask(services, minutes=60).key
    expiring = ask(services, minutes=60).key
    services.store.write(
        [
            SetProps(
                "AccessRequest",
                stuck,
                {"state": RequestState.GRANTING.value},
                {"state": RequestState.GRANTED.value},
            )
        ]
    )
    clock.advance(max(GRACE_SECONDS, (60 - LEAD_MINUTES + 1) * 60))

    scheduler = ExpiryScheduler(services, interval=0.05)
    scheduler.start()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not (
            state_of(services, stuck) == "GRANTED" and expiring in recorder.warned()
        ):
            time.sleep(0.05)
    finally:
        scheduler.stop()
    assert state_of(services, stuck) == "GRANTED"
    assert expiring in recorder.warned()
    assert all(n.requester == DEMO_GRANTEE for n in recorder.notices)
