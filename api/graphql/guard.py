"""The checks around every GraphQL operation, in the order they apply.

1. Anonymous callers get one `unauthenticated` refusal before validation: no introspection,
   no "did you mean" suggestions, no work beyond parsing a bounded document.
2. The cost budget (`api.graphql.cost`) refuses an over-budget document before it runs.
3. A `read` API token's mutation is refused; any other is charged to its caller's rate
   limits (`api.graphql.rate_limit`).
4. While it runs, the caller's broker calls share a few worker threads and stop starting
   once the client has gone (`api.graphql.calls`).
5. A query's response past `MAX_RESPONSE_BYTES` is refused rather than sent.
6. Errors are logged and masked (`api.graphql.errors`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import nullcontext
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_operation_ast,
)
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from api.graphql.calls import tracking
from api.graphql.context import KeyturnContext
from api.graphql.cost import over_budget
from api.graphql.errors import screened
from api.graphql.fast_json import size_of
from api.graphql.rate_limit import limiter_for
from broker import read_only_refusal

MAX_RESPONSE_BYTES = 10 * 1024 * 1024


class Guard(SchemaExtension):
    def _keyturn(self) -> KeyturnContext | None:
        context = self.execution_context.context
        found = context.get("keyturn") if isinstance(context, dict) else None
        return found if isinstance(found, KeyturnContext) else None

    def on_operation(self) -> Iterator[None]:
        keyturn = self._keyturn()
        context = self.execution_context.context
        request = context.get("request") if isinstance(context, dict) else None
        receive = getattr(request, "receive", None)
        viewer = keyturn.viewer if keyturn is not None else None
        with tracking(viewer.key, receive) if viewer is not None else nullcontext():
            yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = screened(list(result.errors))

    def on_validate(self) -> Iterator[None]:
        keyturn = self._keyturn()
        if keyturn is not None and keyturn.viewer is None:
            self.execution_context.pre_execution_errors = [
                GraphQLError(keyturn.why_anonymous, extensions={"code": "unauthenticated"})
            ]
        yield

    def on_execute(self) -> Iterator[None]:
        refusal = self._refusal()
        if refusal is not None:
            self.execution_context.result = ExecutionResult(data=None, errors=[refusal])
        yield
        result = self.execution_context.result
        if refusal is None and isinstance(result, ExecutionResult):
            self._bound_response(result)

    def _refusal(self) -> GraphQLError | None:
        ctx = self.execution_context
        assert ctx.graphql_document is not None
        # The spec's rule, which strawberry skips (it runs the first operation): without an
        # `operationName`, a document of several operations is refused. `operation_name`
        # would give the first one's name, so this reads what the caller sent.
        sent_name = ctx._provided_operation_name
        if sent_name is None and _operations_in(ctx.graphql_document) > 1:
            return GraphQLError(
                "the document holds several operations: name the one to run in `operationName`",
                extensions={"code": "bad_request"},
            )
        schema = ctx.schema._schema
        costly = over_budget(schema, ctx.graphql_document, ctx.operation_name, ctx.variables)
        if costly is not None:
            return costly
        keyturn = self._keyturn()
        if ctx.operation_type is not OperationType.MUTATION or keyturn is None:
            return None
        if keyturn.viewer is None:
            return None  # refused as unauthenticated already
        # A `read` token's limit is about the kind of operation, which only this layer knows
        # exactly: every mutation (also ones added later) is refused here, before it runs.
        read_only = read_only_refusal(keyturn.viewer)
        if read_only is not None:
            return GraphQLError(read_only, extensions={"code": "forbidden"})
        operation = get_operation_ast(ctx.graphql_document, ctx.operation_name)
        fields = _root_names(operation.selection_set, ctx) if operation else []
        return limiter_for(keyturn.services).check(keyturn.viewer.key, fields)

    def _bound_response(self, result: ExecutionResult) -> None:
        # A change already made must reach its caller, so only queries are cut.
        if self.execution_context.operation_type is not OperationType.QUERY:
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


def _operations_in(document: DocumentNode) -> int:
    return sum(isinstance(d, OperationDefinitionNode) for d in document.definitions)


def _root_names(selections: SelectionSetNode, ctx: Any) -> list[str]:
    """The root fields' names, through fragments (the document is valid by now)."""
    names = []
    for node in selections.selections:
        if isinstance(node, FieldNode):
            names.append(node.name.value)
        elif isinstance(node, InlineFragmentNode):
            names.extend(_root_names(node.selection_set, ctx))
        elif isinstance(node, FragmentSpreadNode):
            for definition in ctx.graphql_document.definitions:
                if (
                    isinstance(definition, FragmentDefinitionNode)
                    and definition.name.value == node.name.value
                ):
                    names.extend(_root_names(definition.selection_set, ctx))
    return names
