"""How text that people typed appears in a mail: on one line, without control or format
characters, and with its links defanged, so a justification can never pose as Keyturn's own
"approve" link or reorder the mail with bidi overrides, whatever the graph holds."""

from __future__ import annotations

import re
import unicodedata

MAX_SHOWN = 500
_DROPPED = frozenset(
    {"Cc", "Cf", "Cs", "Co", "Cn"}
)  # control, format, surrogate, private, unassigned
_SPACES = re.compile(r"\s+")
_WEB = re.compile(r"\b(h)tt(ps?)(?=\s*:)", re.IGNORECASE)
_SCHEME_COLON = re.compile(
    r"\b(mailto|tel|sms|sip|callto|skype|javascript|data|file|ftp|news|ws|wss)\s*:",
    re.IGNORECASE,
)
_SLASHES = re.compile(r":\s*//")
_WWW = re.compile(r"\b(www)\.", re.IGNORECASE)
# Something a mail client would link on its own: a dotted name ending in a letter TLD.
_DOMAIN = re.compile(r"\b((?:[a-z0-9-]+\.)+)([a-z]{2,63})\b", re.IGNORECASE)


def one_line(value: object, *, limit: int = MAX_SHOWN) -> str:
    """`value` on one line: line breaks and other whitespace become one space, control and
    format characters (NUL, bidi overrides, zero-width) go, and it is cut at `limit`."""
    kept: list[str] = []
    for char in str(value):
        if char.isspace():
            kept.append(" ")
        elif unicodedata.category(char) not in _DROPPED:
            kept.append(char)
    text = _SPACES.sub(" ", "".join(kept)).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def name(value: object) -> str:
    """A user, resource or other key in a mail: one line, any link in it defanged."""
    return _defang_schemes(one_line(value, limit=200))


def free_text(value: object) -> str:
    """What someone wrote (a justification, a reason): one line, and nothing in it a mail
    client would turn into a link: `https://a.example` shows as `hxxps[:]//a[.]example`."""
    text = _defang_schemes(one_line(value))
    text = _WWW.sub(r"\1[.]", text)
    return _DOMAIN.sub(lambda m: m.group(1).replace(".", "[.]") + m.group(2), text)


def _defang_schemes(text: str) -> str:
    text = _WEB.sub(r"\1xx\2", text)
    text = _SCHEME_COLON.sub(r"\1[:]", text)
    return _SLASHES.sub("[:]//", text)
