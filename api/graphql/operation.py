"""One GraphQL operation run for one caller: every check of `api.graphql.guard`, then
graphql-core's executor on the schema strawberry built.

strawberry's own `Schema.execute` would do the same through its extension hooks, but it
builds a context manager per hook and extension on every request, which in a profile of
`{ me { email } }` cost more CPU than the query itself. Here each check is one call, in one
place, and a document seen before is not parsed, chosen or validated again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from graphql import ExecutionResult, GraphQLError, execute
from strawberry.execution import optimized_is_awaitable

from api.graphql.calls import tracking
from api.graphql.context import KeyturnContext
from api.graphql.document_cache import NotRunnable, prepared
from api.graphql.errors import screened
from api.graphql.guard import bound_response, refusal_before_running, refusal_before_validation
from api.graphql.schema import schema

__all__ = ["NotRunnable", "run_operation"]


async def run_operation(
    context: dict[str, Any],
    query: str,
    *,
    variables: Mapping[str, Any] | None = None,
    operation_name: str | None = None,
    receive: Callable[[], Any] | None = None,
) -> ExecutionResult:
    """The result of `query` run with `context` (`context["keyturn"]` is the caller);
    `NotRunnable` when the request names nothing POST can run. `receive` is the HTTP
    request's, for noticing a client that went away."""
    keyturn: KeyturnContext = context["keyturn"]
    try:
        document = prepared(query, operation_name)
    except GraphQLError as unparsable:
        return _answer([unparsable])
    if document.not_runnable is not None:
        raise NotRunnable(document.not_runnable)
    refused = refusal_before_validation(keyturn)
    if refused is not None:
        return _answer([refused])
    graphql_schema = schema._schema
    invalid = document.validation_errors(graphql_schema)
    if invalid:
        return _answer(invalid)
    refused = refusal_before_running(graphql_schema, keyturn, document, operation_name, variables)
    if refused is not None:
        return _answer([refused])
    viewer = keyturn.viewer
    assert viewer is not None  # refused before validation otherwise
    with tracking(viewer.key, receive):
        result = execute(
            graphql_schema,
            document.document,
            context_value=context,
            variable_values=dict(variables) if variables is not None else None,
            operation_name=operation_name,
            # strawberry's check, cheaper than graphql-core's for plain values
            is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]
        )
        if not isinstance(result, ExecutionResult):
            result = await result
    bound_response(result, document.kind)
    if result.errors:
        result.errors = screened(list(result.errors))
    return result


def _answer(errors: list[GraphQLError]) -> ExecutionResult:
    return ExecutionResult(data=None, errors=screened(errors))
