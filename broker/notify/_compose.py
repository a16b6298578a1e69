"""Plain-text mail messages, composed at a fraction of `EmailMessage.set_content`'s cost.

The delivery worker shares the interpreter with the requests being served, and building a
message the usual way (each header parsed by the email package's header registry, then
`set_content` parsing Content-Type again for its charset) took about a millisecond of CPU
per message: more than the broker's work for the request that caused it. Here each distinct
header is parsed once and kept (the sender, recipients and subjects repeat), and the body is
encoded as `set_content` would encode it, with quoted-printable for whatever is not short
ASCII lines (7-bit safe for every SMTP server, and still readable).
"""

from __future__ import annotations

from email import policy, quoprimime
from email.headerregistry import BaseHeader
from email.message import EmailMessage
from functools import lru_cache

_POLICY = policy.default
_MOST_LINE = 78  # the default policy's max_line_length (RFC 5322's recommended line length)


def plain_text_message(*, sender: str, to: str, subject: str, body: str) -> EmailMessage:
    """A text/plain UTF-8 message; ValueError when a header value holds a line break."""
    encoding, payload = _encoded(body)
    message = EmailMessage(policy=_POLICY)
    for name, value in (
        ("From", sender),
        ("To", to),
        ("Subject", subject),
        ("MIME-Version", "1.0"),
        ("Content-Type", 'text/plain; charset="utf-8"'),
        ("Content-Transfer-Encoding", encoding),
    ):
        message[name] = _header(name, value)
    message.set_payload(payload)
    return message


@lru_cache(maxsize=4096)
def _header(name: str, value: str) -> BaseHeader:
    # The check `message[name] = text` makes, which a parsed header would skip: a line break
    # in a value would let it add headers of its own.
    if len(value.splitlines()) > 1:
        raise ValueError(f"the mail header {name} may not contain a line break")
    header: BaseHeader = _POLICY.header_factory(name, value)
    return header


def _encoded(body: str) -> tuple[str, str]:
    """The transfer encoding and the encoded body, lines ending in newlines."""
    lines = body.encode("utf-8").splitlines()
    normal = b"\n".join(lines) + b"\n"
    if normal.isascii() and all(len(line) <= _MOST_LINE for line in lines):
        return "7bit", normal.decode("ascii")
    return "quoted-printable", quoprimime.body_encode(normal.decode("latin-1"), _MOST_LINE)
