"""The checks around every GraphQL operation, in the order `api.graphql.operation` applies
them.

1. An anonymous caller gets one `unauthenticated` refusal before validation: no
   introspection, no "did you mean" suggestions, no work beyond parsing a bounded document.
2. The document must be valid, within the shape limits (`api.graphql.limits`).
3. Without an `operationName`, a document of several operations is refused (the spec's
   rule).
4. The cost budget (`api.graphql.cost`) refuses an over-budget document before it runs.
5. A `read` API token's mutation is refused; any other is charged to its caller's rate
   limits (`api.graphql.rate_limit`).
6. While it runs, the caller's broker calls share a few worker threads and stop starting
   once the client has gone (`api.graphql.calls`).
7. A query's response past `MAX_RESPONSE_BYTES` is refused rather than sent.
8. Errors are logged and masked (`api.graphql.errors`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationType,
    SelectionSetNode,
)

from api.graphql.context import KeyturnContext
from api.graphql.document_cache import Prepared
from api.graphql.fast_json import size_of
from api.graphql.rate_limit import limiter_for
from broker import read_only_refusal

MAX_RESPONSE_BYTES = 10 * 1024 * 1024


def refusal_before_validation(keyturn: KeyturnContext) -> GraphQLError | None:
    """Check 1: an anonymous caller is told why, and nothing about the schema."""
    if keyturn.viewer is None:
        return GraphQLError(keyturn.why_anonymous, extensions={"code": "unauthenticated"})
    return None


def refusal_before_running(
    schema: GraphQLSchema,
    keyturn: KeyturnContext,
    document: Prepared,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> GraphQLError | None:
    """Checks 3 to 5, for a valid document and a signed-in caller."""
    if operation_name is None and document.operations > 1:
        # strawberry and graphql-core would run the first operation, a mutation included
        return GraphQLError(
            "the document holds several operations: name the one to run in `operationName`",
            extensions={"code": "bad_request"},
        )
    costly = document.over_budget(schema, variables)
    if costly is not None:
        return costly
    viewer = keyturn.viewer
    if document.kind is not OperationType.MUTATION or viewer is None:
        return None
    # A `read` token's limit is about the kind of operation, which only this layer knows
    # exactly: every mutation (also ones added later) is refused here, before it runs.
    read_only = read_only_refusal(viewer)
    if read_only is not None:
        return GraphQLError(read_only, extensions={"code": "forbidden"})
    assert document.operation is not None
    fields = _root_names(document.operation.selection_set, document.document)
    return limiter_for(keyturn.services).check(viewer.key, fields)


def bound_response(result: ExecutionResult, kind: OperationType) -> None:
    """Check 7. A change already made must reach its caller, so only queries are cut."""
    if kind is not OperationType.QUERY:
        return
    size = size_of(result.data)
    if size > MAX_RESPONSE_BYTES:
        result.data = None
        result.errors = [
            GraphQLError(
                f"the response would be {size} bytes, more than the "
                f"{MAX_RESPONSE_BYTES} allowed: ask for smaller pages (`first`) or "
                "fewer fields",
                extensions={"code": "response_too_large"},
            )
        ]


def _root_names(selections: SelectionSetNode, document: DocumentNode) -> list[str]:
    """The root fields' names, through fragments (the document is valid by now)."""
    names = []
    for node in selections.selections:
        if isinstance(node, FieldNode):
            names.append(node.name.value)
        elif isinstance(node, InlineFragmentNode):
            names.extend(_root_names(node.selection_set, document))
        elif isinstance(node, FragmentSpreadNode):
            for definition in document.definitions:
                if (
                    isinstance(definition, FragmentDefinitionNode)
                    and definition.name.value == node.name.value
                ):
                    names.extend(_root_names(definition.selection_set, document))
    return names
