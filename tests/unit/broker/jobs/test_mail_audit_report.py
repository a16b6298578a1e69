"""The periodic audit report: mailed to every auditor once a period, through a real SMTP
server, with the period's counts, the chain's status and the CSV link; never resent."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from broker import InvalidInput, Services, audit
from broker.demo import DEMO_ADMIN, DEMO_AUDITOR
from broker.jobs.mail_audit_report import mail_audit_report, report_days
from broker.notify import Notifier, RetryPolicy, SmtpMailer
from tests.support.clock import ManualClock
from tests.support.smtp import Smtp
from tests.support.smtp import smtp as smtp  # the real SMTP server fixture

DAY = 86_400.0


@pytest.fixture
def mailing(services: Services, smtp: Smtp) -> Notifier:
    notifier = Notifier(
        mailer=SmtpMailer(smtp.url),
        public_url="https://keyturn.example",
        retry=RetryPolicy(max_attempts=2, base_delay=0.02, max_delay=0.05),
    )
    services.notifier = notifier
    return notifier


def test_auditors_are_mailed_once_a_week_and_a_restart_does_not_resend(
    services: Services, clock: ManualClock, smtp: Smtp, mailing: Notifier
) -> None:
    """The first run starts the period; a week later each auditor gets one mail with the
    counts by kind, the chain's status and the CSV link; running again (as a restarted
    scheduler does, reading the graph) sends nothing more."""
    try:
        assert mail_audit_report(services, every_days=7) == 0
        start = clock()
        audit.append(services.store, audit.Entry(kind="test.checked", at=clock(), actor=DEMO_ADMIN))
        clock.advance(6 * DAY)
        assert mail_audit_report(services, every_days=7) == 0
        clock.advance(DAY)
        auditors = services.store.find_nodes("User", equals={"role": "auditor"})
        assert mail_audit_report(services, every_days=7) == len(auditors) >= 1
        assert mail_audit_report(services, every_days=7) == 0
        assert mailing.drain()
    finally:
        mailing.close()
    [mail] = smtp.inbox.to(DEMO_AUDITOR)
    body = mail.get_body().get_content()  # type: ignore[union-attr]
    assert "test.checked: 1" in body
    assert "Activity log chain: intact" in body
    assert "https://keyturn.example/audit/report.csv?from=" in body
    assert f"&to={_iso(start + 7 * DAY)}" in body
    assert len(smtp.inbox.messages) == len(auditors)


def test_off_sends_nothing_and_stores_nothing(
    services: Services, clock: ManualClock, smtp: Smtp, mailing: Notifier
) -> None:
    """KEYTURN_AUDIT_REPORT_DAYS=0: no period is started, no mail goes out."""
    try:
        assert mail_audit_report(services, every_days=0) == 0
        clock.advance(30 * DAY)
        assert mail_audit_report(services, every_days=0) == 0
        assert mailing.drain()
    finally:
        mailing.close()
    assert services.store.find_nodes("AuditReportMail") == []
    assert smtp.inbox.messages == []


def test_report_days_reads_the_environment_and_names_a_bad_value() -> None:
    assert report_days({}) == 7
    assert report_days({"KEYTURN_AUDIT_REPORT_DAYS": "0"}) == 0
    for bad in ("weekly", "-1", "nan"):
        with pytest.raises(InvalidInput, match="KEYTURN_AUDIT_REPORT_DAYS"):
            report_days({"KEYTURN_AUDIT_REPORT_DAYS": bad})


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
