"""SCIM filters (RFC 7644 §3.4.2.2): parsed into a small tree, evaluated over a resource
as the API renders it. Also the attribute paths PATCH and `sortBy` name."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from broker.identities.scim.errors import ScimError, invalid_filter, invalid_path
from broker.identities.scim.schema import SCHEMAS

MAX_FILTER = 2000
_COMPARE = {"eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"}
_TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<punct>[()\[\]])|(?P<word>[^\s()\[\]"]+))'
)


@dataclass(frozen=True)
class AttrPath:
    """`urn:...:attr.sub`: `schema` is "" for the resource's core schema."""

    schema: str
    attr: str
    sub: str = ""


@dataclass(frozen=True)
class Compare:
    path: AttrPath
    op: str  # eq ne co sw ew gt ge lt le pr
    value: Any = None


@dataclass(frozen=True)
class Logic:
    op: str  # and | or
    left: Filter
    right: Filter


@dataclass(frozen=True)
class Not:
    inner: Filter


@dataclass(frozen=True)
class ValuePath:
    path: AttrPath
    inner: Filter


Filter = Compare | Logic | Not | ValuePath


def parse_path(text: str, *, error: Callable[[str], ScimError] = invalid_path) -> AttrPath:
    """`[urn:...:]attr[.sub]`; names keep the case given (lookups ignore case)."""
    schema = ""
    rest = text
    lowered = text.lower()
    for urn in SCHEMAS:
        if lowered.startswith(urn.lower()):
            schema, rest = urn, text[len(urn) :]
            if rest.startswith(":"):
                rest = rest[1:]
            elif rest:
                raise error(f"attribute path `{text}` does not follow its schema with `:`")
            break
    if not rest and schema:
        return AttrPath(schema, "")
    attr, _, sub = rest.partition(".")
    if not re.fullmatch(r"\$?[A-Za-z][\w$-]*", attr) or (
        sub and not re.fullmatch(r"\$?[A-Za-z][\w$-]*", sub)
    ):
        raise error(f"`{text}` is not an attribute path: write `attr` or `attr.subAttr`")
    return AttrPath(schema, attr, sub)


def parse_filter(text: str) -> Filter:
    """The filter `text` as a tree; ScimError 400 invalidFilter for one that does not parse."""
    if len(text) > MAX_FILTER:
        raise invalid_filter(f"the filter is longer than {MAX_FILTER} characters: shorten it")
    parser = _Parser(_tokens(text), text)
    tree = parser.expression()
    if parser.peek() is not None:
        raise invalid_filter(f"filter `{text}` has `{parser.peek()}` left over: check it")
    return tree


def _tokens(text: str) -> list[str]:
    found: list[str] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise invalid_filter(f"filter `{text}` does not parse near `{text[position:]}`")
        found.append(match.group("str") or match.group("punct") or match.group("word"))
        position = match.end()
    return found


class _Parser:
    def __init__(self, tokens: list[str], text: str) -> None:
        self._tokens = tokens
        self._at = 0
        self._text = text
        self._depth = 0

    def peek(self) -> str | None:
        return self._tokens[self._at] if self._at < len(self._tokens) else None

    def _take(self) -> str:
        token = self.peek()
        if token is None:
            raise invalid_filter(f"filter `{self._text}` ends too early: complete it")
        self._at += 1
        return token

    def expression(self) -> Filter:
        left = self._conjunction()
        while (self.peek() or "").lower() == "or":
            self._take()
            left = Logic("or", left, self._conjunction())
        return left

    def _conjunction(self) -> Filter:
        left = self._unary()
        while (self.peek() or "").lower() == "and":
            self._take()
            left = Logic("and", left, self._unary())
        return left

    def _unary(self) -> Filter:
        self._depth += 1
        if self._depth > 50:
            raise invalid_filter("the filter nests more than 50 levels: simplify it")
        try:
            word = self._take()
            if word.lower() == "not":
                return Not(self._group())
            if word == "(":
                self._at -= 1
                return self._group()
            return self._comparison(word)
        finally:
            self._depth -= 1

    def _group(self) -> Filter:
        if self._take() != "(":
            raise invalid_filter(f"filter `{self._text}` needs `(` after `not`")
        inner = self.expression()
        if self._take() != ")":
            raise invalid_filter(f"filter `{self._text}` misses a `)`")
        return inner

    def _comparison(self, token: str) -> Filter:
        path = parse_path(token, error=invalid_filter)
        if self.peek() == "[":
            self._take()
            inner = self.expression()
            if self._take() != "]":
                raise invalid_filter(f"filter `{self._text}` misses a `]`")
            return ValuePath(path, inner)
        op = self._take().lower()
        if op == "pr":
            return Compare(path, "pr")
        if op not in _COMPARE:
            raise invalid_filter(
                f"`{op}` in filter `{self._text}` is no operator: use eq, ne, co, sw, ew, "
                "gt, ge, lt, le or pr"
            )
        return Compare(path, op, _literal(self._take(), self._text))


def _literal(token: str, text: str) -> Any:
    if token.startswith('"'):
        return re.sub(r"\\(.)", r"\1", token[1:-1])
    lowered = token.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "null":
        return None
    try:
        return float(token) if "." in token else int(token)
    except ValueError:
        raise invalid_filter(
            f'`{token}` in filter `{text}` is no value: quote strings, e.g. "{token}"'
        ) from None


def values_at(resource: dict[str, Any], path: AttrPath, core: str) -> Iterator[Any]:
    """The values `path` names in `resource`, multi-valued attributes flattened."""
    holder: Any = resource
    if path.schema and path.schema != core:
        holder = _get(resource, path.schema)
    top = _get(holder, path.attr) if isinstance(holder, dict) else None
    for item in top if isinstance(top, list) else [top]:
        if path.sub:
            if isinstance(item, dict):
                yield _get(item, path.sub)
        elif isinstance(item, dict) and "value" in item:
            yield item["value"]  # a complex attribute compares by its `value`
        else:
            yield item


def _get(holder: dict[str, Any], name: str) -> Any:
    lowered = name.lower()
    for key, value in holder.items():
        if key.lower() == lowered:
            return value
    return None


def matches(tree: Filter, resource: dict[str, Any], core: str) -> bool:
    if isinstance(tree, Logic):
        left = matches(tree.left, resource, core)
        return (
            (left and matches(tree.right, resource, core))
            if tree.op == "and"
            else (left or matches(tree.right, resource, core))
        )
    if isinstance(tree, Not):
        return not matches(tree.inner, resource, core)
    if isinstance(tree, ValuePath):
        holder = (
            resource
            if not tree.path.schema or tree.path.schema == core
            else _get(resource, tree.path.schema) or {}
        )
        items = _get(holder, tree.path.attr) or []
        items = items if isinstance(items, list) else [items]
        return any(isinstance(i, dict) and matches(tree.inner, i, core) for i in items)
    found = [v for v in values_at(resource, tree.path, core) if v is not None]
    if tree.op == "pr":
        return any(v != "" and v != [] and v != {} for v in found)
    return any(compare(v, tree.op, tree.value) for v in found)


def compare(actual: Any, op: str, expected: Any) -> bool:
    """One comparison; strings ignore case (the attributes filtered on are caseExact false)."""
    if isinstance(actual, str) and isinstance(expected, str):
        actual, expected = actual.lower(), expected.lower()
    elif isinstance(actual, bool) != isinstance(expected, bool):
        return op == "ne"
    if op == "eq":
        return bool(actual == expected)
    if op == "ne":
        return bool(actual != expected)
    if isinstance(actual, str) and isinstance(expected, str):
        if op == "co":
            return expected in actual
        if op == "sw":
            return actual.startswith(expected)
        if op == "ew":
            return actual.endswith(expected)
    try:
        if op == "gt":
            return bool(actual > expected)
        if op == "ge":
            return bool(actual >= expected)
        if op == "lt":
            return bool(actual < expected)
        if op == "le":
            return bool(actual <= expected)
    except TypeError:
        return False
    return False


def sole_equality(tree: Filter) -> tuple[str, str] | None:
    """(attribute, value) when `tree` is one `attr eq "value"` on a core attribute, the
    lookup IdPs make before every create: answered by key, not by a scan."""
    if (
        isinstance(tree, Compare)
        and tree.op == "eq"
        and isinstance(tree.value, str)
        and not tree.path.sub
        and not tree.path.schema
    ):
        return tree.path.attr.lower(), tree.value
    return None
