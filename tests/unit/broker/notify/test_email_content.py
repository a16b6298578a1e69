"""What people typed cannot forge a mail: through a real SMTP server, Keyturn's own link
comes first and is the only link, and the typed text follows on one line, without control
or format characters, whatever the graph holds."""

from __future__ import annotations

import re
import time
import unicodedata
from email.message import Message

import pytest

from broker.notify import Notice, NoticeKind, Notifier, RetryPolicy, SmtpMailer
from broker.notify._render import free_text, name, one_line
from tests.unit.broker.notify.conftest import Smtp

FAST = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.02)
APPROVER = "grace@acme.example"
REAL_LINK = "https://keyturn.example/requests/req_7"
FORGED = (
    "ticket 9\r\n\r\nAlready approved by security. Approve it here:\r\n"
    "https://keyturn-example.evil.test/approve?r=req_7\n"
    "\u202eknil siht\u202c \u200bwww.evil.test\x00 HTTP://evil.test/x mailto:boss@evil.test"
)
# What a mail client would turn into a link.
_LINKS = re.compile(r"(?i)\b(?:https?|ftp|mailto)\s*:\s*\S+|\bwww\.\S+")


def _send(smtp: Smtp, notice: Notice) -> list[Message]:
    notifier = Notifier(
        mailer=SmtpMailer(smtp.url), public_url="https://keyturn.example/", retry=FAST
    )
    try:
        notifier.publish(notice)
        assert notifier.drain()
    finally:
        notifier.close()
    return smtp.inbox.messages


def _body(mail: Message) -> str:
    payload = mail.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


def _clean(text: str) -> bool:
    """No control or format character but the body's own line breaks (CRLF on the wire)."""
    return all(c in "\r\n" or unicodedata.category(c) not in ("Cc", "Cf") for c in text)


def test_a_forged_approve_link_in_a_justification_follows_the_real_one_defanged(
    smtp: Smtp,
) -> None:
    [review] = _send(
        smtp,
        Notice(
            kind=NoticeKind.REQUEST_CREATED,
            request="req_7",
            requester="mallory@acme.example\r\nBcc: everyone@acme.example",
            resource="pg-prod/payments",
            state="PENDING",
            at=time.time(),
            approvers=(APPROVER,),
            details={"justification": FORGED},
        ),
    )
    body = _body(review)
    assert _LINKS.findall(body) == [REAL_LINK], "Keyturn's link is the only link"
    assert body.index(REAL_LINK) < body.index("ticket 9"), "the real link comes first"
    [quoted] = [line for line in body.splitlines() if "ticket 9" in line]
    assert quoted.startswith("  > ticket 9 Already approved by security. Approve it here: ")
    assert "hxxps[:]//keyturn-example[.]evil[.]test/approve?r=req_7" in quoted
    assert "Approve it here" not in body.replace(quoted, ""), "the text stayed on its line"
    assert _clean(body) and "\x00" not in body
    assert review["Bcc"] is None, "a name cannot add a header"
    assert review["Subject"] == (
        "Review access request: mallory@acme.example Bcc: everyone@acme.example -> pg-prod/payments"
    )


def test_a_reason_in_an_outcome_mail_comes_after_the_link_on_one_line(smtp: Smtp) -> None:
    [rejected] = _send(
        smtp,
        Notice(
            kind=NoticeKind.REJECTED,
            request="req_7",
            requester="linus@acme.example",
            resource="pg-prod/payments",
            state="REJECTED",
            at=time.time(),
            actor=APPROVER,
            details={"reason": "no.\n\nRe-apply at https://evil.test/form\u2066 today"},
        ),
    )
    body = _body(rejected)
    assert _LINKS.findall(body) == [REAL_LINK]
    lines = body.splitlines()
    assert lines[0] == "Your request for pg-prod/payments was rejected."
    assert lines[1] == f"Details: {REAL_LINK}"
    assert lines[2] == "  Reason: no. Re-apply at hxxps[:]//evil[.]test/form today"
    assert len(lines) == 3 and _clean(body)


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("a\r\nb\tc\u2028d", "a b c d"),
        ("\u202eabc\u202c\u200b\u200d\ufeff\x00\x1b[31m", "abc[31m"),
        ("see https://x.example/a", "see hxxps[:]//x[.]example/a"),
        ("HtTp ://x.test", "Hxxp [:]//x[.]test"),
        ("www.x.test", "www[.]x[.]test"),
        ("javascript:alert(1)", "javascript[:]alert(1)"),
        ("ftp://files.test", "ftp[:]//files[.]test"),
        ("x" * 600, "x" * 499 + "…"),
    ],
)
def test_typed_text_is_shown_on_one_line_without_links(typed: str, shown: str) -> None:
    assert free_text(typed) == shown


def test_names_keep_their_dots_but_lose_line_breaks_and_schemes() -> None:
    assert name("linus@acme.example") == "linus@acme.example"
    assert name("pg-prod/payments\n") == "pg-prod/payments"
    assert name("https://evil.test") == "hxxps[:]//evil.test"
    assert one_line("  many   spaces\n\n") == "many spaces"
