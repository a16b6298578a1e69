"""Shape limits checked before a document runs: nesting depth, aliases, one change per request.

Introspection fields count like any other: a deep `__schema { types { fields ... } }` costs
the server as much as a deep query of ours.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)

MAX_QUERY_DEPTH = 10
MAX_ALIASES = 50


def _depth(
    selections: SelectionSetNode | None, context: ValidationContext, seen: frozenset[str]
) -> int:
    """The number of nested selection sets below `selections` (fragments followed once)."""
    if selections is None:
        return 0
    deepest = 0
    for node in selections.selections:
        if isinstance(node, FieldNode):
            if node.selection_set is None:
                continue
            deepest = max(deepest, 1 + _depth(node.selection_set, context, seen))
        elif isinstance(node, InlineFragmentNode):
            deepest = max(deepest, _depth(node.selection_set, context, seen))
        elif isinstance(node, FragmentSpreadNode) and node.name.value not in seen:
            fragment = context.get_fragment(node.name.value)
            if fragment is not None:
                inner = seen | {node.name.value}
                deepest = max(deepest, _depth(fragment.selection_set, context, inner))
    return deepest


def _name(node: OperationDefinitionNode, default: str = "the query") -> str:
    return node.name.value if node.name else default


class _DepthRule(ValidationRule):
    def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
        depth = _depth(node.selection_set, self.context, frozenset()) + 1
        if depth > MAX_QUERY_DEPTH:
            self.report_error(
                GraphQLError(
                    f"{_name(node)} nests fields {depth} levels deep, more than the "
                    f"{MAX_QUERY_DEPTH} allowed: ask for fewer nested fields",
                    node,
                    extensions={"code": "query_too_deep"},
                )
            )


class _AliasRule(ValidationRule):
    """Aliases as written (fragments count once here; the cost budget counts each use)."""

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self._aliases = 0

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        if node.alias is not None:
            self._aliases += 1

    def leave_document(self, *_: Any) -> None:
        if self._aliases > MAX_ALIASES:
            self.report_error(
                GraphQLError(
                    f"the document uses {self._aliases} aliases, more than the {MAX_ALIASES} "
                    "allowed: split it into several requests",
                    extensions={"code": "too_many_aliases"},
                )
            )


def _root_fields(
    selections: SelectionSetNode, context: ValidationContext, seen: frozenset[str]
) -> Iterator[FieldNode]:
    for node in selections.selections:
        if isinstance(node, FieldNode):
            if node.name.value != "__typename":
                yield node
        elif isinstance(node, InlineFragmentNode):
            yield from _root_fields(node.selection_set, context, seen)
        elif isinstance(node, FragmentSpreadNode) and node.name.value not in seen:
            fragment = context.get_fragment(node.name.value)
            if fragment is not None:
                inner = seen | {node.name.value}
                yield from _root_fields(fragment.selection_set, context, inner)


class _OneChangeRule(ValidationRule):
    """One mutation field per document: when a later field fails, GraphQL nulls the whole
    `data` of a non-null result, and the caller would never see an earlier field's change
    (an issued token shown to nobody)."""

    def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
        if node.operation is not OperationType.MUTATION:
            return
        fields = list(_root_fields(node.selection_set, self.context, frozenset()))
        if len(fields) > 1:
            names = ", ".join(f"`{(f.alias or f.name).value}`" for f in fields[:5])
            self.report_error(
                GraphQLError(
                    f"{_name(node, 'the mutation')} makes {len(fields)} changes ({names}), "
                    "but a request may make one: send each change in its own request so "
                    "you see every result",
                    node,
                    extensions={"code": "one_change_per_request"},
                )
            )


# Checked with the spec's validation rules, once per distinct document (document_cache).
SHAPE_RULES: tuple[type[ValidationRule], ...] = (_DepthRule, _AliasRule, _OneChangeRule)
