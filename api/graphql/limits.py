"""How deep a query may nest: refused before it runs, with the depth in the message.

Introspection fields do not count (GraphiQL's own query nests deeper than any of ours).
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)
from strawberry.extensions import AddValidationRules

MAX_QUERY_DEPTH = 10


def _depth(
    selections: SelectionSetNode | None, context: ValidationContext, seen: frozenset[str]
) -> int:
    """The number of nested selection sets below `selections` (fragments followed once)."""
    if selections is None:
        return 0
    deepest = 0
    for node in selections.selections:
        if isinstance(node, FieldNode):
            if node.name.value.startswith("__") or node.selection_set is None:
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


class _DepthRule(ValidationRule):
    def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
        depth = _depth(node.selection_set, self.context, frozenset()) + 1
        if depth > MAX_QUERY_DEPTH:
            name = node.name.value if node.name else "the query"
            self.report_error(
                GraphQLError(
                    f"{name} nests fields {depth} levels deep, more than the "
                    f"{MAX_QUERY_DEPTH} allowed: ask for fewer nested fields",
                    node,
                    extensions={"code": "query_too_deep"},
                )
            )


def depth_limit() -> AddValidationRules:
    return AddValidationRules([_DepthRule])
