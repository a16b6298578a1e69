"""Parse, choose the operation and validate a repeated GraphQL document once.

Clients send the same few documents over and over (the console's, the CLI's), and parsing
plus validating one costs more CPU than the broker work behind a simple query. A parsed
document is immutable and its validation depends only on it, the schema and the rules, so
the answers are the same with or without the cache. The cache is LRU-bounded, so a caller
sending endless distinct documents only evicts entries; a document that does not parse is
never kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    parse,
    specified_rules,
)

from api.graphql.cost import over_budget, reads_variables
from api.graphql.limits import SHAPE_RULES

# Distinct documents kept: far more than any client set sends, few enough to be small
# (a parsed document within the token limit is tens of kilobytes at most).
MAX_CACHED_DOCUMENTS = 256
# A document longer than this is refused while it is parsed, before any tree is built.
MAX_QUERY_TOKENS = 2000

_RULES = (*specified_rules, *SHAPE_RULES)


class NotRunnable(Exception):
    """The request names no operation that POST can run (HTTP 400, nothing runs)."""


@dataclass
class Prepared:
    """One document, parsed, with the operation a request chose in it."""

    document: DocumentNode
    operation: OperationDefinitionNode | None
    # Why it cannot run at all (a name it lacks, a subscription): the same for every caller.
    not_runnable: str | None
    operations: int
    # Whether a page size is a variable: else the cost is the same for every request.
    cost_reads_variables: bool
    _validated: tuple[GraphQLError, ...] | None = field(default=None, repr=False)
    # The cost refusal of an operation whose cost no variable changes, once counted.
    _fixed_cost: tuple[GraphQLError | None] | None = field(default=None, repr=False)

    @property
    def kind(self) -> OperationType:
        assert self.operation is not None
        return self.operation.operation

    def validation_errors(self, schema: GraphQLSchema) -> list[GraphQLError]:
        """The document's validation errors (checked once; a list of the caller's own)."""
        if self._validated is None:
            # strawberry's validation, imported late (it imports the schema): the spec's
            # rules, its own and the shape limits
            from strawberry.schema.schema import validate_document

            self._validated = tuple(validate_document(schema, self.document, _RULES))
        return list(self._validated)

    def over_budget(
        self, schema: GraphQLSchema, variables: Mapping[str, Any] | None
    ) -> GraphQLError | None:
        """The cost budget's refusal of the chosen operation, or None when it may run."""
        assert self.operation is not None
        name = self.operation.name.value if self.operation.name else None
        if self.cost_reads_variables:
            return over_budget(schema, self.document, name, variables)
        if self._fixed_cost is None:
            self._fixed_cost = (over_budget(schema, self.document, name, None),)
        return self._fixed_cost[0]


class _Cache:
    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[str, str | None], Prepared] = OrderedDict()
        self._lock = threading.Lock()

    def prepared(self, query: str, operation_name: str | None) -> Prepared:
        key = (query, operation_name)
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found
        made = _prepare(query, operation_name)  # a GraphQLError when it does not parse
        with self._lock:
            self._entries[key] = made
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return made

    def __len__(self) -> int:
        return len(self._entries)


def _prepare(query: str, operation_name: str | None) -> Prepared:
    document = parse(query, max_tokens=MAX_QUERY_TOKENS)
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    operation: OperationDefinitionNode | None
    if operation_name is None:
        operation = operations[0] if operations else None
    else:
        named = [o for o in operations if o.name is not None and o.name.value == operation_name]
        operation = named[0] if named else None
    not_runnable = None
    if operation is None and operation_name is not None:
        not_runnable = f'Unknown operation named "{operation_name}".'
    elif operation is None:
        not_runnable = "the document holds no operation: send a query or a mutation"
    elif operation.operation is OperationType.SUBSCRIPTION:
        not_runnable = "subscriptions are not allowed when using POST"
    return Prepared(document, operation, not_runnable, len(operations), reads_variables(document))


_cache = _Cache(MAX_CACHED_DOCUMENTS)


def prepared(query: str, operation_name: str | None) -> Prepared:
    """`query` parsed (`GraphQLError` when it does not) with `operation_name`'s operation
    chosen, from the cache when it was seen before."""
    return _cache.prepared(query, operation_name)


def cache_size() -> int:
    """How many documents the cache holds now (for tests)."""
    return len(_cache)
