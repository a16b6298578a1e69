"""Bounds on every text that enters the broker: a length, and no characters that hide.

One home for the rule (STYLE 12): each use case checks the text it takes before it reads or
stores anything, so a 5 MB justification is refused at once instead of being stored,
logged in the activity log and mailed to every approver. Characters that change how text
looks without being seen (NUL and other controls, bidi overrides, zero-width characters)
are refused too: they let a justification hide or reorder what an approver reads.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence

from broker.errors import InvalidInput

# The limits, in characters (code points). The README lists them.
JUSTIFICATION = 2_000
REASON = 1_000  # an approver's, a revoker's or a disabler's reason; a task's note
NAME = 200  # display names: flows, bundles, integrations, forbid rules, people
DESCRIPTION = 2_000
KEY = 200  # keys and ids given as arguments: resources, requests, tasks, flows, groups
EMAIL = 320  # RFC 5321: 64 for the local part, @, 255 for the domain
PERMISSION = 100
PERMISSIONS = 50  # how many permissions one request may name
ITEMS = 500  # how many items one bundle may hold or one bundle request may choose
TAGS = 50
TAG = 64
DEFINITION = 64 * 1024  # an access flow or forbid rule, as JSON
CONFIG = 16 * 1024  # an integration's config, as JSON

# Line breaks and tabs are fine in a justification or a reason, nowhere else.
_MULTILINE_OK = frozenset("\n\t")
# Categories that never belong in stored text: controls, format characters (bidi
# overrides and zero-width ones among them), line and paragraph separators, and
# surrogates (a lone one cannot even be encoded to be stored).
_CONTROL = frozenset({"Cc", "Zl", "Zp"})
_INVISIBLE = frozenset({"Cf"})
_SURROGATE = frozenset({"Cs"})


def check_text(label: str, value: str, *, most: int, multiline: bool = False) -> str:
    """`value` unchanged when it fits `most` characters and holds nothing hidden; else
    InvalidInput naming `label` (what the input is, e.g. "justification").

    A multi-line text may hold line breaks and tabs; a single-line one (a name, a key)
    may not. The length is checked first, so a huge text is refused before it is read.
    """
    if len(value) > most:
        raise InvalidInput(
            f"{label} is {len(value):,} characters long, more than the {most:,} allowed: shorten it"
        )
    if value.isprintable():  # the common case: one C-speed pass over the text
        return value
    for char in value:
        problem = _problem(char, multiline)
        if problem is not None:
            raise InvalidInput(f"{label} {problem}")
    return value


def check_texts(
    label: str, values: Sequence[str], *, most_items: int, most_each: int
) -> Sequence[str]:
    """`values` unchanged when there are at most `most_items` of them, each a single-line
    text of at most `most_each` characters; else InvalidInput naming `label`."""
    if len(values) > most_items:
        raise InvalidInput(
            f"{label} names {len(values):,} entries, more than the {most_items:,} allowed: "
            "name fewer"
        )
    for value in values:
        check_text(f"{label} entry", value, most=most_each)
    return values


def check_optional(label: str, value: str | None, *, most: int) -> str | None:
    """`check_text` for a single-line input that may be absent."""
    return None if value is None else check_text(label, value, most=most)


def check_all(label: str, values: Iterable[str], *, most: int) -> None:
    """Every one of `values` is a single-line text of at most `most` characters."""
    for value in values:
        check_text(label, value, most=most)


def check_definition(label: str, text: str, *, most: int) -> str:
    """A stored definition (an access flow, a forbid rule, a config), as JSON, fits `most`
    characters; else InvalidInput naming `label`."""
    if len(text) > most:
        raise InvalidInput(
            f"{label} definition is {len(text):,} characters long as JSON, more than the "
            f"{most:,} allowed: split it or name fewer things"
        )
    return text


def _problem(char: str, multiline: bool) -> str | None:
    """What is wrong with `char` in stored text, in words, or None when it is fine."""
    if char == " ":
        return None
    category = unicodedata.category(char)
    point = f"U+{ord(char):04X}"
    if char in _MULTILINE_OK or category in _CONTROL:
        if multiline and char in _MULTILINE_OK:
            return None
        breaks_line = char in "\n\r" or category in ("Zl", "Zp")
        if breaks_line and not multiline:
            return f"holds a line break ({point}): keep it on one line"
        if char == "\t":
            return f"holds a tab ({point}): use spaces instead"
        return f"holds the control character {point}: remove it"
    if category in _INVISIBLE:
        return f"holds the invisible character {point}: remove it"
    if category in _SURROGATE:
        return f"holds the unpaired surrogate {point}: send the text as valid Unicode"
    return None
