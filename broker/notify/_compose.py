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
from email.policy import EmailPolicy, Policy
from functools import lru_cache


class _DefaultPolicy(EmailPolicy):
    """The default policy, each header name's count limit looked up once: the email
    package's lookup builds a new header class every time, which cost more than the rest of
    setting a header."""

    def header_max_count(self, name: str) -> int | None:
        return _max_count(name.lower())


@lru_cache(maxsize=256)
def _max_count(name: str) -> int | None:
    count: int | None = policy.default.header_max_count(name)
    return count


_POLICY = _DefaultPolicy()
# The policies whose folding `_folded` reproduces (they differ in line ends alone).
_FOLDED_FOR = (_POLICY, policy.SMTP)
_MOST_LINE = 78  # the default policy's max_line_length (RFC 5322's recommended line length)


class PlainTextMessage(EmailMessage):
    """A message `plain_text_message` made: flattened to bytes from its headers folded once
    each (they repeat from mail to mail) and its already-encoded body, where the email
    package's generator would fold every header again for each message. The bytes are the
    generator's (tests/unit/broker/notify/test_compose.py compares them)."""

    def as_bytes(self, unixfrom: bool = False, policy: Policy | None = None) -> bytes:
        if unixfrom or (policy is not None and policy not in _FOLDED_FOR):
            return super().as_bytes(unixfrom, policy)  # the generator knows how
        linesep = (policy or self.policy).linesep
        head = b"".join(_folded(name, str(value), linesep) for name, value in self.items())
        body = self.get_payload()
        assert isinstance(body, str)
        return head + linesep.encode() + body.replace("\n", linesep).encode("ascii")

    def __bytes__(self) -> bytes:
        return self.as_bytes()


def plain_text_message(*, sender: str, to: str, subject: str, body: str) -> PlainTextMessage:
    """A text/plain UTF-8 message; ValueError when a header value holds a line break."""
    encoding, payload = _encoded(body)
    message = PlainTextMessage(policy=_POLICY)
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


@lru_cache(maxsize=4096)
def _folded(name: str, value: str, linesep: str) -> bytes:
    header = _header(name, value)
    return header.fold(policy=_POLICY.clone(linesep=linesep)).encode("ascii")


def _encoded(body: str) -> tuple[str, str]:
    """The transfer encoding and the encoded body, lines ending in newlines."""
    lines = body.encode("utf-8").splitlines()
    normal = b"\n".join(lines) + b"\n"
    if normal.isascii() and all(len(line) <= _MOST_LINE for line in lines):
        return "7bit", normal.decode("ascii")
    return "quoted-printable", quoprimime.body_encode(normal.decode("latin-1"), _MOST_LINE)
