"""The grantee hears once, shortly before expiry, while time remains."""

from __future__ import annotations

from broker import Services
from broker.demo import DEMO_GRANTEE
from broker.grants.extend_grant import extend_grant
from broker.jobs.notify_expiring_soon import notify_expiring_soon
from broker.notify import NoticeKind
from tests.support.clock import ManualClock
from tests.support.grants_lab import add_lab, ask
from tests.support.notices import KeptNotices


def test_one_warning_per_expiry_within_the_lead_time_and_none_after_expiry(
    services: Services, clock: ManualClock
) -> None:
    add_lab(services)
    recorder = KeptNotices()
    services.notifier = recorder
    key = ask(services, minutes=40).key
    short = ask(services, minutes=10).key
    assert notify_expiring_soon(services, lead_minutes=15) == 0, "a short grant is not warned"

    clock.advance(24 * 60)
    assert notify_expiring_soon(services, lead_minutes=15) == 0, "16 minutes remain"
    clock.advance(60)
    assert notify_expiring_soon(services, lead_minutes=15) == 1
    assert notify_expiring_soon(services, lead_minutes=15) == 0, "only once"
    assert recorder.requests_told(NoticeKind.EXPIRING_SOON) == [key]
    assert short not in recorder.requests_told(NoticeKind.EXPIRING_SOON)
    (notice,) = [n for n in recorder.notices if n.kind is NoticeKind.EXPIRING_SOON]
    assert notice.requester == DEMO_GRANTEE and notice.details["expires_at"]

    extend_grant(services, actor=DEMO_GRANTEE, request=key, minutes=20)  # to the flow's 60
    clock.advance(21 * 60)
    assert notify_expiring_soon(services, lead_minutes=15) == 1, "the new expiry is warned"
    clock.advance(60 * 60)
    assert notify_expiring_soon(services, lead_minutes=15) == 0, "no time remains"
