"""The depth limit counts nested fields through fragments, and skips introspection."""

from __future__ import annotations

from api.graphql.limits import MAX_QUERY_DEPTH
from api.graphql.schema import schema


def _browse(levels: int) -> str:
    inner = "key"
    for _ in range(levels - 2):
        inner = f'neighbours(edge: "MEMBER_OF") {{ {inner} }}'
    return f'graphNode(kind: "User", key: "u") {{ {inner} }}'


def _errors(query: str) -> list[str]:
    result = schema.execute_sync(query, context_value={"keyturn": None})
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


def test_introspection_does_not_count() -> None:
    deep = "{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType "
    deep += "{ ofType { ofType { ofType { name } } } } } } } } } } } } }"
    assert _errors(deep) == []


def test_a_query_past_the_token_limit_is_refused_before_parsing() -> None:
    query = "{ " + " ".join(f"a{n}: me {{ key }}" for n in range(600)) + " }"
    assert _errors(query) == [
        "Syntax Error: Document contains more than 2000 tokens. Parsing aborted."
    ]
