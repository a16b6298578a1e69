"""Email through a real SMTP server: approvers get a review link, requesters hear the outcome."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest

from broker import Services, approve_request, expire_due_grants, reject_request, request_access
from broker.demo import DEMO_APPROVER, DEMO_GRANTEE
from broker.notify import Notifier, NotifyConfig, RetryPolicy, SmtpMailer
from tests.support.clock import ManualClock
from tests.support.http_server import free_port
from tests.unit.broker.notify.conftest import SMTP_PASSWORD, Smtp

FAST = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.02)


@pytest.fixture
def mailed(services: Services, smtp: Smtp) -> Iterator[Notifier]:
    notifier = Notifier(
        mailer=SmtpMailer(smtp.url), public_url="https://keyturn.example/", retry=FAST
    )
    services.notifier = notifier
    try:
        yield notifier
    finally:
        notifier.close()


def _ask(services: Services) -> str:
    return request_access(
        services,
        requester=DEMO_GRANTEE,
        resource="pg-prod/payments",
        permissions=["read"],
        duration_minutes=60,
        justification="incident 42",
    ).key


def test_approver_gets_a_review_link_and_requester_every_outcome(
    services: Services, mailed: Notifier, smtp: Smtp, clock: ManualClock
) -> None:
    key = _ask(services)
    assert mailed.drain()
    [review] = smtp.inbox.to(DEMO_APPROVER)
    assert review["Subject"] == f"Review access request: {DEMO_GRANTEE} -> pg-prod/payments"
    body = review.get_payload(decode=True)
    assert isinstance(body, bytes)
    assert f"https://keyturn.example/requests/{key}" in body.decode()
    assert "incident 42" in body.decode()
    assert smtp.inbox.to(DEMO_GRANTEE) == [], "the requester is not asked to review"
    assert smtp.inbox.logins, "the mailer logs in with the URL's credentials"

    approve_request(services, approver=DEMO_APPROVER, request=key)
    clock.advance(3600)
    assert expire_due_grants(services) == [key]
    assert mailed.drain()
    subjects = [m["Subject"] for m in smtp.inbox.to(DEMO_GRANTEE)]
    assert subjects == [
        "Access to pg-prod/payments was approved",
        "Access to pg-prod/payments is granted",
        "Access to pg-prod/payments has expired",
    ]


def test_rejection_is_mailed_with_the_reason(
    services: Services, mailed: Notifier, smtp: Smtp
) -> None:
    key = _ask(services)
    reject_request(services, approver=DEMO_APPROVER, request=key, reason="use the replica")
    assert mailed.drain()
    [rejected] = smtp.inbox.to(DEMO_GRANTEE)
    assert rejected["Subject"] == "Access to pg-prod/payments was rejected"
    assert "use the replica" in str(rejected.get_payload(decode=True))


def test_unreachable_smtp_never_fails_the_request_and_logs_no_password(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"smtp://keyturn:{SMTP_PASSWORD}@127.0.0.1:{free_port()}"  # nothing listens there
    notifier = Notifier(mailer=SmtpMailer(url), retry=FAST)
    services.notifier = notifier
    try:
        with caplog.at_level(logging.WARNING):
            key = _ask(services)
            assert notifier.drain()
    finally:
        notifier.close()
    node = services.store.get_node("AccessRequest", key)
    assert node is not None and node.props["state"] == "PENDING"
    assert "gave up on RequestCreated mail to grace@acme.example" in caplog.text
    assert SMTP_PASSWORD not in caplog.text


def test_without_smtp_mail_goes_to_the_outbox_and_the_log_says_where_once(
    services: Services, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    outbox = tmp_path / "outbox"
    with caplog.at_level(logging.INFO):
        notifier = NotifyConfig.from_env({"KEYTURN_OUTBOX": str(outbox)}).notifier(retry=FAST)
        services.notifier = notifier
        try:
            key = _ask(services)
            reject_request(services, approver=DEMO_APPROVER, request=key)
            assert notifier.drain()
        finally:
            notifier.close()
    files = sorted(outbox.glob("*.eml"))
    assert len(files) == 2
    mails = [message_from_bytes(f.read_bytes(), policy=default) for f in files]
    [review] = [m for m in mails if m["To"] == DEMO_APPROVER]
    assert isinstance(review, EmailMessage)
    assert f"http://127.0.0.1:8000/requests/{key}" in review.get_content()
    [rejected] = [m for m in mails if m["To"] == DEMO_GRANTEE]
    assert rejected["Subject"] == "Access to pg-prod/payments was rejected"
    assert caplog.text.count(f"writing mail to {outbox.resolve()}") == 1


class _Broken:
    def publish(self, notice: object) -> None:
        raise RuntimeError("notifier down")

    def close(self) -> None:
        return None


def test_a_raising_notifier_never_fails_the_operation(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    services.notifier = _Broken()
    with caplog.at_level(logging.ERROR):
        key = _ask(services)
        granted = approve_request(services, approver=DEMO_APPROVER, request=key)
    assert granted.props["state"] == "GRANTED"
    assert f"could not notify RequestCreated for request {key}" in caplog.text
    assert f"could not notify Granted for request {key}" in caplog.text


def test_admins_are_mailed_when_a_revoke_keeps_failing(smtp: Smtp) -> None:
    from broker.notify import Notice, NoticeKind

    notifier = Notifier(mailer=SmtpMailer(smtp.url), retry=FAST)
    try:
        notifier.publish(
            Notice(
                kind=NoticeKind.FAILED,
                request="req_9",
                requester=DEMO_GRANTEE,
                resource="pg-prod/orders",
                state="GRANTED",
                at=0.0,
                admins=("ada@acme.example",),
                details={"stage": "revoke", "failures": 5, "error": "timeout"},
            )
        )
        assert notifier.drain()
    finally:
        notifier.close()
    [alert] = smtp.inbox.messages
    assert alert["To"] == "ada@acme.example"
    assert alert["Subject"] == "Action needed: revoking access to pg-prod/orders fails"
    body = str(alert.get_payload(decode=True))
    assert "linus@acme.example's access" in body and "after 5 attempts" in body
