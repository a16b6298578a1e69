"""Repeated documents are parsed and validated once (api.graphql.document_cache): the
cache is bounded, and a document answers the same, errors included, cached or not."""

from __future__ import annotations

from typing import Any, cast

from graphql import GraphQLError, parse, specified_rules, validate

from api.graphql.context import KeyturnContext
from api.graphql.document_cache import MAX_CACHED_DOCUMENTS, cache_size
from api.graphql.limits import SHAPE_RULES
from api.graphql.schema import schema
from graph import Node
from tests.support.graphql_run import execute_sync

_SIGNED_IN = Node("User", "u", {})


def _context(viewer: Node | None) -> dict[str, Any]:
    # These documents are refused before they run: no resolver reaches the services.
    keyturn = KeyturnContext(services=cast(Any, None), viewer=viewer, why_anonymous="sign in")
    return {"keyturn": keyturn}


def _errors(query: str, viewer: Node | None = _SIGNED_IN) -> list[dict[str, Any]]:
    result = execute_sync(query, context_value=_context(viewer))
    return [cast(dict[str, Any], e.formatted) for e in result.errors or []]


def _uncached_errors(query: str) -> list[dict[str, Any]]:
    """What graphql-core says of the document, parsed and validated afresh with the same rules."""
    errors = validate(schema._schema, parse(query), (*specified_rules, *SHAPE_RULES))
    return [cast(dict[str, Any], e.formatted) for e in errors]


def test_an_invalid_document_gets_the_same_errors_cached_and_uncached() -> None:
    query = "{ me { emial } nope }"
    first, again = _errors(query), _errors(query)
    assert first and first == again
    assert first == _uncached_errors(query)
    assert "emial" in first[0]["message"]


def test_a_limit_broken_by_a_cached_document_is_reported_every_time() -> None:
    aliases = " ".join(f"a{n}: __typename" for n in range(60))
    query = "{ " + aliases + " }"
    for _ in range(3):
        assert [e["extensions"]["code"] for e in _errors(query)] == ["too_many_aliases"]


def test_an_anonymous_caller_is_refused_even_for_a_document_cached_as_valid() -> None:
    query = "{ __typename }"
    assert _errors(query) == []  # cached now, as valid
    refusal = _errors(query, viewer=None)
    assert [e["extensions"]["code"] for e in refusal] == ["unauthenticated"]


def test_a_document_that_does_not_parse_is_refused_each_time_and_never_cached() -> None:
    before = cache_size()
    for _ in range(2):
        assert "Syntax Error" in _errors("{ me { ")[0]["message"]
    assert cache_size() == before


def test_the_caches_are_bounded_however_many_distinct_documents_arrive() -> None:
    for n in range(MAX_CACHED_DOCUMENTS + 50):
        assert _errors(f"{{ a{n}: __typename }}") == []
    assert cache_size() == MAX_CACHED_DOCUMENTS


def test_the_errors_handed_out_are_a_fresh_list_each_time() -> None:
    """A caller appending to its errors must not change the next request's."""
    query = "{ nope }"
    result = execute_sync(query, context_value=_context(_SIGNED_IN))
    assert result.errors
    cast(list[GraphQLError], result.errors).append(GraphQLError("added by a caller"))
    assert len(_errors(query)) == 1
