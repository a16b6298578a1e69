"""Who gets which mail, through a real SMTP server: notices about the access itself go to
whoever holds it, and approvers hear when a request they were asked about ends without them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from broker import (
    Services,
    approve_request,
    cancel_request,
    expire_due_grants,
    extend_grant,
    notify_expiring_soon,
    revoke_grant,
    time_out_requests,
)
from broker.demo import DEMO_ADMIN
from broker.notify import Notice, NoticeKind, Notifier, RetryPolicy, SmtpMailer
from tests.support.approval_lab import GRACE, LINUS, SAM, TOM, ask, lab_flow, seed_lab
from tests.support.clock import ManualClock
from tests.unit.broker.notify.conftest import Smtp

FAST = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.02)
ACCESS = "Access to lab/db"


@pytest.fixture
def mailed(services: Services, smtp: Smtp) -> Iterator[Notifier]:
    seed_lab(services)
    notifier = Notifier(mailer=SmtpMailer(smtp.url), retry=FAST)
    services.notifier = notifier
    try:
        yield notifier
    finally:
        notifier.close()


def _subjects(mailed: Notifier, smtp: Smtp, to: str) -> list[str]:
    assert mailed.drain()
    return [str(m["Subject"]) for m in smtp.inbox.to(to)]


def _body(smtp: Smtp, to: str, subject: str) -> str:
    [mail] = [m for m in smtp.inbox.to(to) if m["Subject"] == subject]
    payload = mail.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


def test_on_behalf_the_beneficiary_hears_about_the_access_and_the_requester_the_decision(
    services: Services, mailed: Notifier, smtp: Smtp, clock: ManualClock
) -> None:
    lab_flow(services, approvers=(GRACE,), on_behalf_users=(SAM,), max_extensions=1)
    key = ask(services, requester=LINUS, beneficiary=SAM)
    approve_request(services, approver=GRACE, request=key)
    extend_grant(services, actor=DEMO_ADMIN, request=key, minutes=30)
    clock.advance(50 * 60)  # 10 minutes left of 60
    assert notify_expiring_soon(services) == 1
    clock.advance(10 * 60)
    assert expire_due_grants(services) == [key]

    assert _subjects(mailed, smtp, SAM) == [
        f"{ACCESS} is granted",
        f"{ACCESS} was extended",
        f"{ACCESS} expires soon",
        f"{ACCESS} has expired",
    ]
    assert _subjects(mailed, smtp, LINUS) == [f"{ACCESS} was approved", f"{ACCESS} is granted"]
    assert f"{LINUS} asked for it for you" in _body(smtp, SAM, f"{ACCESS} is granted")
    assert f"{SAM} has it now" in _body(smtp, LINUS, f"{ACCESS} is granted")


def test_a_revoke_of_access_held_on_behalf_is_mailed_to_the_holder(
    services: Services, mailed: Notifier, smtp: Smtp
) -> None:
    lab_flow(services, approvers=(GRACE,), on_behalf_users=(SAM,))
    key = ask(services, requester=LINUS, beneficiary=SAM)
    approve_request(services, approver=GRACE, request=key)
    revoke_grant(services, actor=DEMO_ADMIN, request=key, reason="audit finding")
    assert _subjects(mailed, smtp, SAM)[-1] == f"{ACCESS} was revoked"
    assert "audit finding" in _body(smtp, SAM, f"{ACCESS} was revoked")
    assert f"{ACCESS} was revoked" not in _subjects(mailed, smtp, LINUS)


def test_for_oneself_every_outcome_still_goes_to_the_requester(
    services: Services, mailed: Notifier, smtp: Smtp, clock: ManualClock
) -> None:
    lab_flow(services, approvers=(GRACE,))
    key = ask(services)
    approve_request(services, approver=GRACE, request=key)
    clock.advance(30 * 60)
    assert expire_due_grants(services) == [key]
    assert _subjects(mailed, smtp, LINUS) == [
        f"{ACCESS} was approved",
        f"{ACCESS} is granted",
        f"{ACCESS} has expired",
    ]


def test_an_admins_cancel_tells_the_requester_and_the_approvers_still_asked(
    services: Services, mailed: Notifier, smtp: Smtp
) -> None:
    lab_flow(services, approvers=(SAM, TOM), approval_mode="all")
    key = ask(services)
    approve_request(services, approver=SAM, request=key)
    cancel_request(services, actor=DEMO_ADMIN, request=key)

    no_review = f"No review needed: {LINUS} -> lab/db"
    assert _subjects(mailed, smtp, TOM)[-1] == no_review
    assert f"was cancelled by {DEMO_ADMIN}" in _body(smtp, TOM, no_review)
    assert no_review not in _subjects(mailed, smtp, SAM), "SAM approved: he is not waited for"
    assert _subjects(mailed, smtp, LINUS) == [f"{ACCESS} was cancelled"]


def test_a_requester_cancelling_gets_no_mail_but_the_approvers_do(
    services: Services, mailed: Notifier, smtp: Smtp
) -> None:
    lab_flow(services, approver_groups=("security",))
    key = ask(services)
    cancel_request(services, actor=LINUS, request=key)
    no_review = f"No review needed: {LINUS} -> lab/db"
    assert _subjects(mailed, smtp, SAM)[-1] == no_review
    assert _subjects(mailed, smtp, TOM)[-1] == no_review
    assert _subjects(mailed, smtp, LINUS) == []


def test_cancelling_an_approved_request_waiting_for_its_start_asks_no_approver(
    services: Services, mailed: Notifier, smtp: Smtp, clock: ManualClock
) -> None:
    lab_flow(services, approvers=(GRACE,))
    key = ask(services, starts_at=clock() + 3600)
    approve_request(services, approver=GRACE, request=key)
    cancel_request(services, actor=LINUS, request=key)
    assert _subjects(mailed, smtp, GRACE) == [f"Review access request: {LINUS} -> lab/db"]


def test_a_timed_out_request_tells_the_requester_and_frees_its_approvers(
    services: Services, mailed: Notifier, smtp: Smtp, clock: ManualClock
) -> None:
    lab_flow(services, approvers=(GRACE,), pending_timeout_minutes=60)
    key = ask(services)
    clock.advance(61 * 60)
    assert time_out_requests(services) == 1
    no_review = f"No review needed: {LINUS} -> lab/db"
    assert _subjects(mailed, smtp, GRACE)[-1] == no_review
    assert "timed out undecided" in _body(smtp, GRACE, no_review)
    assert _subjects(mailed, smtp, LINUS) == [f"{ACCESS} timed out undecided"]
    assert key in _body(smtp, LINUS, f"{ACCESS} timed out undecided")


def test_the_webhook_payload_names_who_holds_the_access() -> None:
    on_behalf = Notice(
        kind=NoticeKind.GRANTED,
        request="r1",
        requester=LINUS,
        beneficiary=SAM,
        resource="lab/db",
        state="GRANTED",
        at=0.0,
    )
    assert on_behalf.payload()["request"]["beneficiary"] == SAM
    for_self = Notice(
        kind=NoticeKind.GRANTED, request="r2", requester=LINUS, resource="lab/db", state="", at=0
    )
    assert for_self.payload()["request"]["beneficiary"] == LINUS
