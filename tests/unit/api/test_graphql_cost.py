"""The cost budget: fields, page sizes, aliases, fragments and introspection all count, and
an over-budget document is refused before it runs."""

from __future__ import annotations

import time
from typing import Any, cast

from graphql import get_introspection_query, parse

from api.graphql.context import KeyturnContext
from api.graphql.cost import BROKER_CALL_COST, COST_BUDGET, document_cost, reads_variables
from api.graphql.paging import DEFAULT_PAGE
from api.graphql.schema import schema
from graph import Node
from tests.support.graphql_run import execute_sync


def _cost(query: str, **variables: Any) -> int:
    return document_cost(schema._schema, parse(query), None, variables)


def test_a_list_multiplies_its_fields_by_its_page_size() -> None:
    # myRequests calls the broker; each item of its default page has two fields.
    assert _cost("{ myRequests { id justification } }") == BROKER_CALL_COST + DEFAULT_PAGE * 2
    assert _cost("{ myRequests(first: 5) { id } }") == BROKER_CALL_COST + 5
    assert _cost("query($n: Int!) { myRequests(first: $n) { id } }", n=7) == BROKER_CALL_COST + 7


def test_nested_lists_and_aliases_multiply() -> None:
    one = _cost('{ graphNode(kind: "G", key: "g") { neighbours(edge: "E", first: 10) { key } } }')
    assert one == BROKER_CALL_COST + (BROKER_CALL_COST + 10 * 1)
    two = _cost(
        '{ a: graphNode(kind: "G", key: "g") { neighbours(edge: "E", first: 10) { key } } '
        ' b: graphNode(kind: "G", key: "g") { neighbours(edge: "E", first: 10) { key } } }'
    )
    assert two == 2 * one


def test_fragments_count_each_time_they_are_spread_yet_are_counted_quickly() -> None:
    # 2^30 uses of `key`: counting must not walk them one by one.
    fragments = (
        " ".join(
            f"fragment F{n} on GraphNode {{ a: ...F{n + 1} b: ...F{n + 1} }}" for n in range(30)
        )
        .replace("a: ", "")
        .replace("b: ", "")
    )
    query = '{ graphNode(kind: "G", key: "g") { ...F0 } } ' + fragments
    query += " fragment F30 on GraphNode { key }"
    started = time.perf_counter()
    assert _cost(query) == BROKER_CALL_COST + 2**30
    assert time.perf_counter() - started < 1


def test_introspection_counts_and_the_full_introspection_query_is_over_budget() -> None:
    assert _cost("{ __schema { types { name } } }") == 2 + len(schema._schema.type_map)
    assert _cost(get_introspection_query()) > COST_BUDGET


def _run(query: str) -> Any:
    keyturn = KeyturnContext(
        services=cast(Any, None), viewer=Node("User", "u", {}), why_anonymous=""
    )
    return execute_sync(query, context_value={"keyturn": keyturn})


def test_an_over_budget_document_is_refused_unrun_with_its_cost() -> None:
    aliases = " ".join(f"a{n}: myRequests(first: 500) {{ id justification }}" for n in range(10))
    result = _run("query Wide { " + aliases + " }")
    assert result.data is None
    (error,) = result.errors
    cost = 10 * (BROKER_CALL_COST + 500 * 2)
    assert error.message == (
        f"`Wide` would cost {cost}, more than the budget of {COST_BUDGET}: ask for smaller "
        "pages (`first`), fewer aliases or fewer nested lists"
    )
    assert error.extensions == {"code": "query_too_costly", "cost": cost, "budget": COST_BUDGET}


def test_aliased_introspection_is_refused_by_the_budget() -> None:
    fields = " ".join(f"a{n}: __schema {{ types {{ fields {{ name }} }} }}" for n in range(5))
    (error,) = _run("{ " + fields + " }").errors
    assert error.extensions["code"] == "query_too_costly"


def test_only_a_page_size_given_as_a_variable_makes_the_cost_read_variables() -> None:
    assert reads_variables(parse("query($n: Int!) { myRequests(first: $n) { id } }"))
    assert reads_variables(
        parse("query($n: Int) { ...F } fragment F on Query { myRequests(first: $n) { id } }")
    )
    assert not reads_variables(parse("{ myRequests(first: 5) { id } }"))
    assert not reads_variables(
        parse("mutation($r: RequestAccessInput!) { requestAccess(request: $r) { id } }")
    )


def test_an_over_budget_page_size_in_a_variable_is_refused_after_a_cheap_one_passed() -> None:
    keyturn = KeyturnContext(
        services=cast(Any, None), viewer=Node("User", "u", {}), why_anonymous=""
    )
    aliases = " ".join(f"a{n}: myRequests(first: $n) {{ id justification }}" for n in range(10))
    query = "query Wide($n: Int!) { " + aliases + " }"
    cheap = execute_sync(query, context_value={"keyturn": keyturn}, variables={"n": 1})
    assert not any(e.extensions.get("code") == "query_too_costly" for e in cheap.errors or [])
    refused = execute_sync(query, context_value={"keyturn": keyturn}, variables={"n": 500})
    assert refused.errors and refused.errors[0].extensions["code"] == "query_too_costly"
