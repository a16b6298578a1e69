"""What a document would cost to run, counted before it runs, and the budget it must fit.

Each field costs 1, or `BROKER_CALL_COST` when its resolver calls the broker (a graph query
on a worker thread). A list multiplies what is selected inside it by its page size: its
`first` argument when it has one (given, else its default), else its known size. Aliases and
fragments count each time they are used; introspection fields count like any other.
Fragments are costed once per type they are spread on, so counting stays linear in the
document even when fragments spread each other many times.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    SchemaMetaFieldDef,
    SelectionSetNode,
    TypeMetaFieldDef,
    TypeNameMetaFieldDef,
    VariableNode,
    get_named_type,
    get_nullable_type,
    get_operation_ast,
    is_list_type,
)

COST_BUDGET = 10_000
BROKER_CALL_COST = 10
# Lists inside a result that take no page size, by how long they can be: `events` is sized by
# its page's `first`, the others by how flows, paths and integrations are built.
_NESTED_LIST_SIZES = {
    ("ActivityPage", "events"): 1,
    ("UserPage", "users"): 1,
    ("RequestablePage", "items"): 1,
    ("Requestable", "flows"): 10,
    ("AccessFlow", "approvalSteps"): 10,
    ("AccessPath", "nodes"): 12,
    ("Access", "parents"): 10,
    ("SavedQuery", "parameters"): 10,
    ("BundleListingPage", "bundles"): 1,
    ("BundleListing", "items"): 500,  # broker._text.ITEMS
    ("BundleListing", "flows"): 10,
}
_DEFAULT_LIST_SIZE = 100
_META_FIELDS = {
    "__schema": SchemaMetaFieldDef,
    "__type": TypeMetaFieldDef,
    "__typename": TypeNameMetaFieldDef,
}


@cache
def _introspection_sizes(schema: GraphQLSchema) -> dict[tuple[str, str], int]:
    """The real lengths of introspection's lists for this schema (the longest of each)."""
    objects = [t for t in schema.type_map.values() if hasattr(t, "fields")]
    fields = [f for t in objects for f in t.fields.values()]
    most_args = max(
        [len(getattr(f, "args", None) or {}) for f in fields]
        + [len(d.args) for d in schema.directives]
    )
    return {
        ("__Schema", "types"): len(schema.type_map),
        ("__Schema", "directives"): len(schema.directives),
        ("__Type", "fields"): max(len(t.fields) for t in objects),
        ("__Type", "inputFields"): max(len(t.fields) for t in objects),
        ("__Type", "interfaces"): max(len(getattr(t, "interfaces", ())) for t in objects),
        ("__Type", "possibleTypes"): len(schema.type_map),
        ("__Type", "enumValues"): max(
            [len(getattr(t, "values", {})) for t in schema.type_map.values()]
        ),
        ("__Field", "args"): most_args,
        ("__Directive", "args"): most_args,
    }


def _calls_broker(definition: GraphQLField) -> bool:
    strawberry_field = definition.extensions.get("strawberry-definition")
    resolver = getattr(strawberry_field, "base_resolver", None)
    return resolver is not None and bool(resolver.is_async)


@dataclass
class _Counter:
    schema: GraphQLSchema
    fragments: Mapping[str, FragmentDefinitionNode]
    variables: Mapping[str, Any]
    _memo: dict[tuple[int, str], int] = field(default_factory=dict)

    def selections(self, parent: GraphQLNamedType, selections: SelectionSetNode) -> int:
        key = (id(selections), parent.name)
        if key not in self._memo:
            self._memo[key] = 0  # a fragment cycle (refused by validation) counts nothing more
            self._memo[key] = sum(self._one(parent, node) for node in selections.selections)
        return self._memo[key]

    def _one(self, parent: GraphQLNamedType, node: Any) -> int:
        if isinstance(node, FieldNode):
            return self._field(parent, node)
        if isinstance(node, InlineFragmentNode):
            return self.selections(self._type(node.type_condition, parent), node.selection_set)
        if isinstance(node, FragmentSpreadNode) and node.name.value in self.fragments:
            fragment = self.fragments[node.name.value]
            return self.selections(
                self._type(fragment.type_condition, parent), fragment.selection_set
            )
        return 0

    def _type(self, condition: Any, parent: GraphQLNamedType) -> GraphQLNamedType:
        found = self.schema.get_type(condition.name.value) if condition is not None else None
        return found or parent

    def _field(self, parent: GraphQLNamedType, node: FieldNode) -> int:
        name = node.name.value
        definition = _META_FIELDS.get(name) or getattr(parent, "fields", {}).get(name)
        if definition is None:
            return 1
        own = BROKER_CALL_COST if _calls_broker(definition) else 1
        if node.selection_set is None:
            return own
        size = self._size(parent.name, node, definition)
        inner = self.selections(get_named_type(definition.type), node.selection_set)
        return own + size * inner

    def _size(self, parent: str, node: FieldNode, definition: GraphQLField) -> int:
        if "first" in definition.args:
            value = self._argument(node, "first")
            default = definition.args["first"].default_value
            chosen = value if isinstance(value, int) else default
            return max(0, chosen) if isinstance(chosen, int) else _DEFAULT_LIST_SIZE
        if not is_list_type(get_nullable_type(definition.type)):
            return 1
        key = (parent, node.name.value)
        known = _introspection_sizes(self.schema).get(key)
        return known if known is not None else _NESTED_LIST_SIZES.get(key, _DEFAULT_LIST_SIZE)

    def _argument(self, node: FieldNode, name: str) -> object:
        for argument in node.arguments or ():
            if argument.name.value != name:
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                return int(value.value)
            if isinstance(value, VariableNode):
                return self.variables.get(value.name.value)
        return None


def reads_variables(document: DocumentNode) -> bool:
    """Whether the cost of `document` depends on the variables sent with it: only a page
    size given as a variable (`first: $n`) counts them."""
    pending: list[Any] = list(document.definitions)
    while pending:
        node = pending.pop()
        if isinstance(node, FieldNode) and any(
            argument.name.value == "first" and isinstance(argument.value, VariableNode)
            for argument in node.arguments or ()
        ):
            return True
        selections = getattr(node, "selection_set", None)
        if selections is not None:
            pending.extend(selections.selections)
    return False


def document_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None = None,
    variables: Mapping[str, Any] | None = None,
) -> int:
    """The cost of the operation the request runs (0 when there is none to run)."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 0
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return _Counter(schema, fragments, variables or {}).selections(root, operation.selection_set)


def over_budget(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> GraphQLError | None:
    """The refusal for a document past the budget, or None when it may run."""
    cost = document_cost(schema, document, operation_name, variables)
    if cost <= COST_BUDGET:
        return None
    operation = get_operation_ast(document, operation_name)
    what = f"`{operation.name.value}`" if operation and operation.name else "the query"
    return GraphQLError(
        f"{what} would cost {cost}, more than the budget of {COST_BUDGET}: ask for smaller "
        "pages (`first`), fewer aliases or fewer nested lists",
        extensions={"code": "query_too_costly", "cost": cost, "budget": COST_BUDGET},
    )
