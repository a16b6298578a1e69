"""A notice's mails are composed by the delivery worker, not by the use case that
publishes it: `publish` only queues, and a notice whose composing fails never raises
into the caller."""

from __future__ import annotations

import threading
from email.message import EmailMessage
from pathlib import Path

from broker.notify import Notice, NoticeKind, Notifier, OutboxMailer, RetryPolicy

FAST = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.02)


class _WhereComposed(Notifier):
    """A real Notifier that notes which thread composed each notice's mails."""

    def __init__(self, outbox: Path, *, fail: bool = False) -> None:
        super().__init__(mailer=OutboxMailer(outbox), retry=FAST)
        self.threads: list[str] = []
        self._fail = fail

    def messages(self, notice: Notice) -> list[EmailMessage]:
        self.threads.append(threading.current_thread().name)
        if self._fail:
            raise RuntimeError("cannot compose")
        return super().messages(notice)


def _granted() -> Notice:
    return Notice(
        kind=NoticeKind.GRANTED,
        request="req_1",
        requester="linus@acme.example",
        resource="pg-prod/orders",
        state="GRANTED",
        at=0.0,
    )


def test_publish_queues_the_notice_and_the_worker_composes_and_sends_its_mail(
    tmp_path: Path,
) -> None:
    notifier = _WhereComposed(tmp_path / "outbox")
    try:
        notifier.publish(_granted())
        assert notifier.drain(5)
        assert notifier.threads == ["keyturn-notify"]
        assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1
    finally:
        notifier.close()


def test_a_notice_that_cannot_be_composed_is_dropped_without_raising(tmp_path: Path) -> None:
    notifier = _WhereComposed(tmp_path / "outbox", fail=True)
    try:
        notifier.publish(_granted())  # returns: composing happens later, elsewhere
        assert notifier.drain(5)
        assert notifier.threads == ["keyturn-notify", "keyturn-notify"]  # retried, then dropped
        assert not (tmp_path / "outbox").exists()
    finally:
        notifier.close()
