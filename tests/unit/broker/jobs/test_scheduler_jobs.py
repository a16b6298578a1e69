"""The scheduler's housekeeping: on start it resumes interrupted grants and warns grantees."""

from __future__ import annotations

import time

from broker import ExpiryScheduler, Services
from broker.demo import DEMO_GRANTEE
from broker.jobs.notify_expiring_soon import LEAD_MINUTES
from broker.jobs.recover_grants import GRACE_SECONDS
from broker.notify import NoticeKind
from broker.requests.states import RequestState
from graph import SetProps
from tests.support.clock import ManualClock
from tests.support.grants_lab import add_lab, ask, state_of
from tests.support.notices import KeptNotices


def test_a_started_scheduler_finishes_a_stuck_grant_and_warns_an_expiring_one(
    services: Services, clock: ManualClock
) -> None:
    add_lab(services)
    recorder = KeptNotices()
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
            state_of(services, stuck) == "GRANTED"
            and expiring in recorder.requests_told(NoticeKind.EXPIRING_SOON)
        ):
            time.sleep(0.05)
    finally:
        scheduler.stop()
    assert state_of(services, stuck) == "GRANTED"
    assert expiring in recorder.requests_told(NoticeKind.EXPIRING_SOON)
    assert all(n.requester == DEMO_GRANTEE for n in recorder.notices)
