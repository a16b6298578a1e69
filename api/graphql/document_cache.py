"""Parse and validate a repeated GraphQL document once: bounded caches keyed by its text.

Clients send the same few documents over and over (the console's, the CLI's), and parsing
plus validating one cost more CPU than the broker work behind a simple query. The parsed
document is immutable and validation depends only on it, the schema and the rules, so the
answers are the same with or without the cache. Both caches are LRU-bounded, so a caller
sending endless distinct documents only evicts entries; a document that fails to parse
raises and is never cached.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from graphql import DocumentNode, GraphQLError, GraphQLSchema, parse
from strawberry.extensions import SchemaExtension

# Distinct documents kept: far more than any client set sends, few enough to be small
# (a parsed document within the token limit is tens of kilobytes at most).
MAX_CACHED_DOCUMENTS = 256


@lru_cache(maxsize=MAX_CACHED_DOCUMENTS)
def _parsed(query: str, options: tuple[tuple[str, Any], ...]) -> DocumentNode:
    return parse(query, **dict(options))


class _ValidationCache:
    """Validation errors per parsed document and rule set, LRU-bounded.

    Keyed by the document's identity, not its value: the parse cache hands out one object
    per text, and hashing a document by value walks the whole tree, each request. The entry
    keeps its document, so an `id` reused after eviction never matches a stale entry.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[int, Any], tuple[DocumentNode, tuple[Any, ...]]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()

    def errors(
        self, schema: GraphQLSchema, document: DocumentNode, rules: tuple[Any, ...]
    ) -> list[GraphQLError]:
        key = (id(document), (id(schema), rules))
        with self._lock:
            found = self._entries.get(key)
            if found is not None and found[0] is document:
                self._entries.move_to_end(key)
                return list(found[1])
        # strawberry's own validation (its rules added), imported late: it imports the schema
        from strawberry.schema.schema import validate_document

        errors = tuple(validate_document(schema, document, rules))
        with self._lock:
            self._entries[key] = (document, errors)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return list(errors)

    def __len__(self) -> int:
        return len(self._entries)


_validated = _ValidationCache(MAX_CACHED_DOCUMENTS)


class DocumentCache(SchemaExtension):
    """Serves parsing and validation from the caches. Listed after the extensions that set
    parse options and validation rules (their `on_operation` runs first) and after `Guard`,
    whose refusal of an anonymous caller stands in for validation."""

    def on_parse(self) -> Iterator[None]:
        ctx = self.execution_context
        if ctx.graphql_document is None and ctx.query:
            ctx.graphql_document = _parsed(ctx.query, tuple(sorted(ctx.parse_options.items())))
        yield

    def on_validate(self) -> Iterator[None]:
        ctx = self.execution_context
        if ctx.pre_execution_errors is None and ctx.graphql_document is not None:
            # a list of its own per request: callers may append to it
            schema = ctx.schema._schema
            ctx.pre_execution_errors = _validated.errors(
                schema, ctx.graphql_document, ctx.validation_rules
            )
        yield


def cache_sizes() -> tuple[int, int]:
    """How many documents the parse and validation caches hold now (for tests)."""
    return _parsed.cache_info().currsize, len(_validated)
