"""Plain-text messages composed without `set_content`: what a mail client reads back is the
body and headers given, whatever the body holds, and a header cannot smuggle in another."""

from __future__ import annotations

import io
from email import message_from_bytes, policy
from email.generator import BytesGenerator
from email.message import EmailMessage

import pytest

from broker.notify._compose import plain_text_message

SENDER = "Keyturn <keyturn@acme.example>"
LONG_LINK = "Set your password and sign in: https://keyturn.acme.example/invite/" + "x" * 60


def _sent(message: EmailMessage) -> EmailMessage:
    """The message as a mail client gets it: flattened to bytes, parsed again."""
    parsed = message_from_bytes(bytes(message), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


@pytest.mark.parametrize(
    ("body", "encoding"),
    [
        ("Your request for pg-prod/orders granted.\nDetails: http://h/requests/r1\n", "7bit"),
        ("Grüße from Zoë: pg-prod/orders granted.\n", "quoted-printable"),
        (LONG_LINK + "\n", "quoted-printable"),
        ("no final newline", "7bit"),
        ("", "7bit"),
    ],
    ids=["ascii", "non-ascii", "long-line", "no-final-newline", "empty"],
)
def test_what_the_reader_gets_is_the_body_and_headers_given(body: str, encoding: str) -> None:
    made = plain_text_message(
        sender=SENDER,
        to="linus@acme.example",
        subject="Access to pg-prod/orders granted",
        body=body,
    )
    for message in (made, _sent(made)):
        assert message.get_content() == body.rstrip("\n") + "\n"
        assert message["From"] == SENDER
        assert message["To"] == "linus@acme.example"
        assert message["Subject"] == "Access to pg-prod/orders granted"
        assert message.get_content_type() == "text/plain"
        assert message.get_content_charset() == "utf-8"
        assert message["Content-Transfer-Encoding"] == encoding
    raw = bytes(made)
    assert raw.isascii(), "7-bit clean for every SMTP server"
    assert all(len(line) <= 78 for line in raw.splitlines())


def test_a_non_ascii_subject_and_name_are_encoded_and_read_back() -> None:
    made = plain_text_message(
        sender="Zoë Keyturn <keyturn@acme.example>",
        to="linus@acme.example",
        subject="Zugriff auf Bestellungen gewährt",
        body="ok\n",
    )
    sent = _sent(made)
    assert bytes(made).isascii()
    assert sent["Subject"] == "Zugriff auf Bestellungen gewährt"
    assert sent["From"].addresses[0].display_name == "Zoë Keyturn"


@pytest.mark.parametrize("field", ["sender", "to", "subject"])
def test_a_line_break_in_a_header_is_refused(field: str) -> None:
    values = {"sender": SENDER, "to": "linus@acme.example", "subject": "hello"}
    values[field] = values[field] + "\r\nBcc: mallory@evil.example"
    with pytest.raises(ValueError, match="may not contain a line break"):
        plain_text_message(**values, body="hi\n")


@pytest.mark.parametrize("flattened_by", [policy.default, policy.SMTP], ids=["file", "smtp"])
@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("Access to pg-prod/orders granted", "Your request for pg-prod/orders granted.\n"),
        ("Grüße, Zoë: " + "a subject long enough to fold " * 4, "Grüße\n" + "x" * 100 + "\n"),
        ("", ""),
    ],
    ids=["ascii", "non-ascii-and-long", "empty"],
)
def test_the_bytes_are_the_email_packages_own(
    flattened_by: policy.EmailPolicy, subject: str, body: str
) -> None:
    made = plain_text_message(
        sender=SENDER, to="Zoë <zoe@acme.example>", subject=subject, body=body
    )
    out = io.BytesIO()
    BytesGenerator(out, policy=flattened_by).flatten(made)
    assert made.as_bytes(policy=flattened_by) == out.getvalue()
    if flattened_by is policy.default:
        assert bytes(made) == out.getvalue()
