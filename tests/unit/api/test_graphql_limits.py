"""The shape limits (depth, aliases, one change per request) count through fragments and
count introspection; anonymous callers are refused before validation."""

from __future__ import annotations

from typing import Any, cast

from api.graphql.context import KeyturnContext
from api.graphql.limits import MAX_ALIASES, MAX_QUERY_DEPTH
from graph import Node
from tests.support.graphql_run import execute_sync


def _browse(levels: int) -> str:
    inner = "key"
    for _ in range(levels - 2):
        inner = f'neighbours(edge: "MEMBER_OF") {{ {inner} }}'
    return f'graphNode(kind: "User", key: "u") {{ {inner} }}'


def _context(viewer: Node | None) -> dict[str, Any]:
    # Validation never reaches the services: these documents are refused before they run.
    keyturn = KeyturnContext(services=cast(Any, None), viewer=viewer, why_anonymous="sign in")
    return {"keyturn": keyturn}


_SIGNED_IN = Node("User", "u", {})


def _errors(query: str, viewer: Node | None = _SIGNED_IN) -> list[str]:
    result = execute_sync(query, context_value=_context(viewer))
    return [e.message for e in result.errors or []]


def test_a_query_at_the_limit_passes_validation_and_one_past_it_does_not() -> None:
    assert MAX_QUERY_DEPTH == 10
    at_limit = _errors("query Ok { " + _browse(10) + " }")
    assert not any("levels deep" in message for message in at_limit)
    assert _errors("query Deep { " + _browse(11) + " }") == [
        "Deep nests fields 11 levels deep, more than the 10 allowed: ask for fewer nested fields"
    ]


def test_depth_counts_through_named_and_inline_fragments() -> None:
    query = "query Frag { ...Top } fragment Top on Query { ... on Query { " + _browse(11) + " } }"
    assert _errors(query) == [
        "Frag nests fields 11 levels deep, more than the 10 allowed: ask for fewer nested fields"
    ]


def test_a_fragment_that_spreads_itself_is_not_followed_forever() -> None:
    query = (
        'query Loop { graphNode(kind: "User", key: "u") { ...N } } '
        'fragment N on GraphNode { key neighbours(edge: "MEMBER_OF") { ...N } }'
    )
    messages = _errors(query)
    assert messages and not any("levels deep" in m for m in messages)


def test_introspection_counts_towards_the_depth_limit() -> None:
    deep = "{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType "
    deep += "{ ofType { ofType { ofType { name } } } } } } } } } } } } }"
    assert _errors(deep) == [
        "the query nests fields 13 levels deep, more than the 10 allowed: ask for fewer "
        "nested fields"
    ]


def test_signed_in_callers_may_introspect_within_the_limits() -> None:
    result = execute_sync(
        "{ __schema { queryType { name } } }", context_value=_context(Node("User", "u", {}))
    )
    assert result.errors is None
    assert result.data == {"__schema": {"queryType": {"name": "Query"}}}


def test_anonymous_callers_get_no_introspection_and_no_suggestions() -> None:
    for query in ("{ __schema { types { name } } }", '{ effectivAccess(identity: "x") }'):
        result = execute_sync(query, context_value=_context(None))
        assert [e.message for e in result.errors or []] == ["sign in"]
        assert result.errors and result.errors[0].extensions == {"code": "unauthenticated"}
        assert result.data is None


def test_signed_in_callers_still_get_suggestions() -> None:
    (message,) = _errors('{ effectivAccess(identity: "x") { resource { key } } }')
    assert "Did you mean 'effectiveAccess'?" in message


def test_more_aliases_than_allowed_are_refused() -> None:
    fields = " ".join(f"a{n}: __typename" for n in range(MAX_ALIASES))
    assert _errors("{ " + fields + " }") == []
    too_many = "{ " + fields + " extra: __typename }"
    assert _errors(too_many) == [
        f"the document uses {MAX_ALIASES + 1} aliases, more than the {MAX_ALIASES} allowed: "
        "split it into several requests"
    ]


def test_a_mutation_document_may_make_one_change() -> None:
    query = (
        'mutation Two { a: issueToken(owner: "u", name: "x") { token } '
        '...More } fragment More on Mutation { b: setUserRole(user: "u", role: "admin") { key } }'
    )
    assert _errors(query) == [
        "Two makes 2 changes (`a`, `b`), but a request may make one: send each change in its "
        "own request so you see every result"
    ]


def test_a_query_past_the_token_limit_is_refused_before_parsing() -> None:
    query = "{ " + " ".join(f"a{n}: me {{ key }}" for n in range(600)) + " }"
    assert _errors(query) == [
        "Syntax Error: Document contains more than 2000 tokens. Parsing aborted."
    ]
