"""The raw-query checks: tokens, not text, decide what a query does."""

from __future__ import annotations

import re

import pytest

from graph.query import QueryRefused, check_limits, check_read_only, tokenize


def test_strings_comments_and_backticked_names_are_not_clauses() -> None:
    query = (
        "MATCH (n:`DELETE`) /* CREATE */ WHERE n.set = 'MERGE \\' DROP' // REMOVE\n"
        'AND n.x = "FOREACH" RETURN n.delete'
    )

    check_read_only(tokenize(query))


def test_a_string_literal_is_decoded() -> None:
    tokens = tokenize("RETURN 'it\\'s \\u00e9' AS s")

    assert [t.text for t in tokens if t.kind == "string"] == ["it's \u00e9"]


@pytest.mark.parametrize(
    ("query", "clause"),
    [
        ("MATCH (n) WITH n CREATE (m)", "CREATE"),
        ("MATCH (n) DETACH /* hidden */ DELETE n", "DETACH DELETE"),
        ("GRANT ROLE admin TO mallory", "GRANT"),
        (
            "MATCH (n) CALL { MATCH (m) RETURN m } IN TRANSACTIONS RETURN n",
            "CALL { ... } IN TRANSACTIONS",
        ),
    ],
)
def test_a_writing_clause_is_found_wherever_it_hides(query: str, clause: str) -> None:
    with pytest.raises(QueryRefused, match=re.escape(f"`{clause}`")):
        check_read_only(tokenize(query))


def test_a_variable_named_like_an_admin_command_is_allowed() -> None:
    check_read_only(tokenize("MATCH (grant:Grant) RETURN grant.key"))


def test_allowed_procedures_may_be_called_and_others_not() -> None:
    check_read_only(tokenize("CALL db.labels() YIELD label RETURN label"))
    with pytest.raises(QueryRefused, match=re.escape("procedure `dbms.killQueries`")):
        check_read_only(tokenize("CALL dbms.killQueries(['q1'])"))


@pytest.mark.parametrize(
    ("row_cap", "timeout_s", "message"),
    [(0, 1.0, "row cap `0`"), (10, 0.0, "timeout `0`"), (10, 1e9, "timeout `1e+09`")],
)
def test_a_row_cap_or_timeout_out_of_range_is_refused(
    row_cap: int, timeout_s: float, message: str
) -> None:
    with pytest.raises(QueryRefused, match=re.escape(message)):
        check_limits("MATCH (n) RETURN n", row_cap, timeout_s)
