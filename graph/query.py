"""Auditors' raw read-only queries: the result type, the errors, and the checks both
backends run before a query touches the graph.

The checks work on tokens, not on the raw text, so a word inside a string literal, a
comment or a backtick-quoted name never counts as a clause. They are the first line only:
Neo4j also runs the query in a read-access session, and the embedded backend runs it
through grand-cypher, whose grammar has no writing clause at all.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graph.errors import GraphError

MAX_QUERY_CHARS = 10_000
MAX_ROW_CAP = 100_000
MAX_TIMEOUT_S = 300.0
QUERY_MEMORY_MIB = 1024
"""How much memory an embedded raw query may use beyond the server's own size: the
ceiling of the child process it runs in (Neo4j bounds its own transactions)."""

READ_PROCEDURES = frozenset(
    {
        "db.labels",
        "db.relationshiptypes",
        "db.propertykeys",
        "db.schema.visualization",
        "db.schema.nodetypeproperties",
        "db.schema.reltypeproperties",
    }
)
"""Procedures an auditor may CALL (lowercase): they only describe the graph."""

_WRITE_WORDS = {
    "CREATE": "CREATE",
    "MERGE": "MERGE",
    "SET": "SET",
    "DELETE": "DELETE",
    "DETACH": "DETACH DELETE",
    "REMOVE": "REMOVE",
    "DROP": "DROP",
    "FOREACH": "FOREACH",
    "LOAD": "LOAD CSV",
}
# Administration commands; only a statement's first word, as `grant` is a fine variable.
_ADMIN_WORDS = frozenset({"ALTER", "RENAME", "GRANT", "DENY", "REVOKE", "START", "STOP", "USE"})


@dataclass(frozen=True)
class QueryResult:
    """Columns in RETURN order and rows of plain values; a node or relationship is a
    dict `{"kind": ..., "key": ..., "props": {...}}`. The rows are the first rows of the
    exact answer (the cap never cuts matches before WHERE, DISTINCT or an aggregate);
    `truncated`: the answer had more rows than the cap, and the rest were dropped."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    truncated: bool


class QueryRefused(GraphError):
    """A raw query was refused before it ran: it writes, is too long, or the backend
    cannot run it. The graph is unchanged."""


class QueryFailed(GraphError):
    """A raw query started but failed: a syntax error, a timeout, a bad parameter."""


@dataclass(frozen=True)
class Token:
    kind: str  # word, string, number, param, name (backticked), punct
    text: str  # the word, the decoded string, the param name, or the character(s)
    start: int
    end: int


_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<line_comment>//[^\n]*)
  | (?P<block_comment>/\*.*?(?:\*/|\Z))
  | (?P<string>"(?:[^"\\]|\\.)*(?:"|\Z)|'(?:[^'\\]|\\.)*(?:'|\Z))
  | (?P<name>`(?:[^`]|``)*(?:`|\Z))
  | (?P<param>\$(?:[A-Za-z_][A-Za-z_0-9]*|\d+))
  | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<word>[A-Za-z_][A-Za-z_0-9]*)
  | (?P<punct>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "\\": "\\", "'": "'", '"': '"'}


def tokenize(query: str) -> list[Token]:
    """The query's tokens; whitespace and comments dropped; strings decoded."""
    tokens: list[Token] = []
    for match in _TOKEN.finditer(query):
        kind = match.lastgroup or "punct"
        text = match.group()
        if kind in ("ws", "line_comment", "block_comment"):
            continue
        if kind == "string":
            text = _decode(text)
        elif kind == "param":
            text = text[1:]
        tokens.append(Token(kind, text, match.start(), match.end()))
    return tokens


def _decode(literal: str) -> str:
    body = literal[1:-1] if len(literal) > 1 and literal[-1] == literal[0] else literal[1:]
    return re.sub(
        r"\\(u[0-9a-fA-F]{4}|.)",
        lambda m: (
            chr(int(m.group(1)[1:], 16))
            if m.group(1).startswith("u") and len(m.group(1)) == 5
            else _ESCAPES.get(m.group(1), m.group(1))
        ),
        body,
    )


def check_limits(query: str, row_cap: int, timeout_s: float) -> None:
    if len(query) > MAX_QUERY_CHARS:
        raise QueryRefused(
            f"the query has {len(query)} characters, more than the {MAX_QUERY_CHARS} allowed: "
            f"shorten it"
        )
    if not query.strip():
        raise QueryRefused("the query is empty: write a MATCH ... RETURN query")
    if not 0 < row_cap <= MAX_ROW_CAP:
        raise QueryRefused(f"row cap `{row_cap}` is outside 1..{MAX_ROW_CAP}: pick one inside")
    if not 0 < timeout_s <= MAX_TIMEOUT_S:
        raise QueryRefused(
            f"timeout `{timeout_s:g}` s is outside (0, {MAX_TIMEOUT_S:g}]: pick one inside"
        )


def check_read_only(tokens: Sequence[Token]) -> None:
    """Refuse the first writing clause, or a CALL of a procedure not in READ_PROCEDURES."""
    for j, token in enumerate(tokens):
        if token.kind != "word" or _is_name_position(tokens, j):
            continue
        word = token.text.upper()
        if word in _WRITE_WORDS:
            raise _write_refused(_WRITE_WORDS[word])
        if word in _ADMIN_WORDS and j == 0:
            raise _write_refused(word)
        if word == "IN" and _next_word(tokens, j) == "TRANSACTIONS":
            raise _write_refused("CALL { ... } IN TRANSACTIONS")
        if word == "CALL" and not _next_is(tokens, j, "{"):
            name = _dotted_name(tokens, j + 1)
            if name.lower() not in READ_PROCEDURES:
                raise QueryRefused(
                    f"raw queries may not call the procedure `{name}`: only "
                    f"{', '.join(sorted(READ_PROCEDURES))} are allowed"
                )


def check_params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    checked = dict(params or {})
    for name in checked:
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z_0-9]*", name):
            raise QueryRefused(f"parameter name `{name}` is not a plain name: use letters")
    return checked


def _write_refused(clause: str) -> QueryRefused:
    return QueryRefused(
        f"raw queries are read-only: `{clause}` writes to the graph; "
        f"change the graph through Keyturn instead"
    )


def _is_name_position(tokens: Sequence[Token], j: int) -> bool:
    """A word right after `.` is a property name and after `:` a label or map key."""
    return j > 0 and tokens[j - 1].kind == "punct" and tokens[j - 1].text in (".", ":")


def _next_word(tokens: Sequence[Token], j: int) -> str:
    following = tokens[j + 1] if j + 1 < len(tokens) else None
    return following.text.upper() if following and following.kind == "word" else ""


def _next_is(tokens: Sequence[Token], j: int, text: str) -> bool:
    return j + 1 < len(tokens) and tokens[j + 1].text == text


def _dotted_name(tokens: Sequence[Token], j: int) -> str:
    parts: list[str] = []
    while j < len(tokens) and tokens[j].kind in ("word", "name"):
        parts.append(tokens[j].text.strip("`"))
        if not _next_is(tokens, j, "."):
            break
        j += 2
    return ".".join(parts)
