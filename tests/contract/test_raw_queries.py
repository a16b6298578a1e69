"""Auditors' raw queries: read-only Cypher with parameters, a length limit and a row cap."""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from graph import GraphStore, UpsertEdge, open_store
from graph.query import MAX_QUERY_CHARS, QueryFailed, QueryRefused
from tests.contract._graph import group, member_of, ref, resource, snapshot, user


def _org(store: GraphStore) -> None:
    store.write(
        [
            user("alice", name="Alice"),
            user("bob", name="Bob"),
            user("carol", name="Carol"),
            group("eng"),
            member_of(ref("User", "alice"), "eng"),
            member_of(ref("User", "bob"), "eng"),
            resource("pg-prod", tags=["pii"]),
            UpsertEdge(
                "HAS_ACCESS",
                ref("User", "alice"),
                ref("Resource", "pg-prod"),
                "g1",
                {"standing": True},
            ),
        ]
    )


def test_a_simple_read_query_returns_columns_and_plain_rows(store: GraphStore) -> None:
    _org(store)

    result = store.run_read_query(
        "MATCH (u:User)-[:MEMBER_OF]->(g:Group) WHERE g.name = $group "
        "RETURN u.key AS user, u.name AS name ORDER BY u.key",
        {"group": "eng"},
    )

    assert result.columns == ("user", "name")
    assert result.rows == (("alice", "Alice"), ("bob", "Bob"))
    assert result.truncated is False


def test_a_returned_node_or_relationship_is_a_dict_with_kind_key_and_props(
    store: GraphStore,
) -> None:
    _org(store)

    result = store.run_read_query(
        "MATCH (u:User)-[r:HAS_ACCESS]->(x:Resource) RETURN u, r, x.key AS resource"
    )

    assert result.rows == (
        (
            {
                "kind": "User",
                "key": "alice",
                "props": {"email": "alice@corp.example", "name": "Alice"},
            },
            {"kind": "HAS_ACCESS", "key": "g1", "props": {"standing": True}},
            "pg-prod",
        ),
    )


def test_a_word_like_delete_inside_a_string_or_comment_is_allowed(store: GraphStore) -> None:
    _org(store)

    result = store.run_read_query(
        "MATCH (u:User) // not a DELETE\nWHERE u.name <> 'DELETE everything; CREATE (x)' "
        'AND u.name <> "SET" RETURN u.key ORDER BY u.key'
    )

    assert [row[0] for row in result.rows] == ["alice", "bob", "carol"]


@pytest.mark.parametrize(
    ("query", "clause"),
    [
        ("CREATE (u:User {key: 'mallory'}) RETURN u", "CREATE"),
        ("MERGE (u:User {key: 'mallory'}) RETURN u", "MERGE"),
        ("MATCH (u:User) SET u.role = 'admin' RETURN u", "SET"),
        ("MATCH (u:User) DELETE u", "DELETE"),
        ("MATCH (u:User) DETACH DELETE u", "DETACH DELETE"),
        ("MATCH (u:User) REMOVE u.name RETURN u", "REMOVE"),
        ("DROP CONSTRAINT keyturn_User_key", "DROP"),
        ("LOAD CSV FROM 'file:///x.csv' AS row RETURN row", "LOAD CSV"),
        ("MATCH (u:User) FOREACH (x IN [1] | SET u.n = x)", "FOREACH"),
        (
            "MATCH (u:User) CALL { WITH u RETURN u.key AS k } IN TRANSACTIONS RETURN k",
            "CALL { ... } IN TRANSACTIONS",
        ),
        ("match (u:User) detach delete u", "DETACH DELETE"),
    ],
)
def test_every_write_clause_is_refused_and_changes_nothing(
    store: GraphStore, query: str, clause: str
) -> None:
    _org(store)
    before = snapshot(store)

    with pytest.raises(QueryRefused, match=re.escape(f"`{clause}` writes to the graph")) as refused:
        store.run_read_query(query)

    assert str(refused.value).startswith("raw queries are read-only")
    assert snapshot(store) == before


def test_a_procedure_outside_the_allow_list_is_refused(store: GraphStore) -> None:
    with pytest.raises(
        QueryRefused, match=re.escape("may not call the procedure `apoc.periodic.iterate`")
    ):
        store.run_read_query("CALL apoc.periodic.iterate('MATCH (n) RETURN n', 'DELETE n', {})")


def test_an_over_long_query_is_refused(store: GraphStore) -> None:
    query = "MATCH (u:User) RETURN u.key" + " " * MAX_QUERY_CHARS

    with pytest.raises(QueryRefused, match=f"more than the {MAX_QUERY_CHARS} allowed"):
        store.run_read_query(query)


def test_the_row_cap_truncates_and_says_so(store: GraphStore) -> None:
    _org(store)

    capped = store.run_read_query("MATCH (u:User) RETURN u.key ORDER BY u.key", row_cap=2)
    exact = store.run_read_query("MATCH (u:User) RETURN u.key ORDER BY u.key", row_cap=3)

    assert capped.rows == (("alice",), ("bob",))
    assert capped.truncated is True
    assert len(exact.rows) == 3
    assert exact.truncated is False


def test_the_row_cap_applies_after_ordering(store: GraphStore) -> None:
    _org(store)

    result = store.run_read_query("MATCH (u:User) RETURN u.key ORDER BY u.key DESC", row_cap=1)

    assert result.rows == (("carol",),)
    assert result.truncated is True


def test_a_query_sees_writes_made_after_an_earlier_query(store: GraphStore) -> None:
    _org(store)
    store.run_read_query("MATCH (u:User) RETURN u.key")

    store.write([user("dave")])
    result = store.run_read_query("MATCH (u:User) WHERE u.key = 'dave' RETURN u.key")

    assert result.rows == (("dave",),)


@pytest.mark.parametrize(
    ("query", "clause"),
    [
        ("MATCH (u:User) OPTIONAL MATCH (u)-[:REPORTS_TO]->(m) RETURN u, m", "OPTIONAL MATCH"),
        ("MATCH (u:User) WITH u RETURN u.key", "WITH"),
        ("UNWIND [1, 2] AS x RETURN x", "UNWIND"),
        ("CALL db.labels() YIELD label RETURN label", "CALL"),
    ],
)
def test_the_embedded_graph_names_a_clause_it_cannot_run(
    tmp_path: Path, query: str, clause: str
) -> None:
    store = open_store(f"embedded:{tmp_path / 'graph.db'}")
    try:
        with pytest.raises(
            QueryRefused,
            match=re.escape(f"the embedded graph cannot run `{clause}`: use a Neo4j graph"),
        ):
            store.run_read_query(query)
    finally:
        store.close()


def test_neo4j_refuses_a_write_the_checks_missed_in_its_read_session(neo4j_url: str) -> None:
    from neo4j import READ_ACCESS, GraphDatabase

    from graph.neo4j import _query

    store = open_store(neo4j_url)
    store.clear()
    store.close()
    parts = urlsplit(neo4j_url)
    auth = (parts.username, parts.password) if parts.username and parts.password else None
    address = f"{parts.scheme}://{parts.hostname}:{parts.port or 7687}"
    with (
        GraphDatabase.driver(address, auth=auth) as driver,
        driver.session(default_access_mode=READ_ACCESS) as session,
        pytest.raises(QueryRefused, match="Neo4j refused this one as a write"),
    ):
        _query.run(session, "CREATE (:User {key: 'mallory'})", {}, 10, 5.0)
    store = open_store(neo4j_url)
    try:
        assert store.get_node("User", "mallory") is None
    finally:
        store.close()


def test_neo4j_stops_a_query_that_runs_past_its_timeout(neo4j_url: str) -> None:
    store = open_store(neo4j_url)
    try:
        with pytest.raises(QueryFailed, match=re.escape("the query ran longer than 0.5 s")):
            store.run_read_query(
                "UNWIND range(1, 20000) AS a UNWIND range(1, 20000) AS b RETURN count(*) AS n",
                timeout_s=0.5,
            )
    finally:
        store.close()


def _groups(store: GraphStore, count: int = 122) -> None:
    """`count` groups g000, g001, ...: each even one has `source` even, each odd one odd."""
    store.write([group(f"g{i:03d}", source="even" if i % 2 == 0 else "odd") for i in range(count)])


def test_an_aggregate_counts_every_match_whatever_the_row_cap(store: GraphStore) -> None:
    """The row cap cuts the answer's rows, never the matches an aggregate counts."""
    _groups(store)

    result = store.run_read_query("MATCH (g:Group) RETURN count(g) AS groups", row_cap=10)

    assert result.rows == ((122,),)
    assert result.truncated is False


def test_an_aggregate_per_group_sees_every_match_and_caps_its_rows(store: GraphStore) -> None:
    _groups(store)

    result = store.run_read_query(
        "MATCH (g:Group) RETURN g.source AS source, count(g) AS n ORDER BY g.source", row_cap=1
    )

    assert result.rows == (("even", 61),)
    assert result.truncated is True


def test_where_filters_every_match_before_the_row_cap(store: GraphStore) -> None:
    _groups(store)

    result = store.run_read_query(
        "MATCH (g:Group) WHERE g.key = 'g120' OR g.key = 'g121' RETURN g.key ORDER BY g.key",
        row_cap=1,
    )

    assert result.rows == (("g120",),)
    assert result.truncated is True


def test_a_where_across_two_unconnected_patterns_sees_every_pair(store: GraphStore) -> None:
    _groups(store)

    result = store.run_read_query(
        "MATCH (a:Group) MATCH (b:Group) WHERE a.key = 'g100' AND b.key = 'g110' "
        "RETURN a.key, b.key",
        row_cap=1,
    )

    assert result.rows == (("g100", "g110"),)
    assert result.truncated is False


def test_distinct_values_are_found_past_the_row_cap(store: GraphStore) -> None:
    _groups(store)

    result = store.run_read_query(
        "MATCH (g:Group) RETURN DISTINCT g.source ORDER BY g.source", row_cap=2
    )

    assert result.rows == (("even",), ("odd",))
    assert result.truncated is False


def test_a_limit_in_the_query_never_cuts_an_aggregate(store: GraphStore) -> None:
    _groups(store)

    result = store.run_read_query("MATCH (g:Group) RETURN count(g) AS n LIMIT 5", row_cap=10)

    assert result.rows == ((122,),)
    assert result.truncated is False


@pytest.mark.parametrize(
    ("tail", "row_cap", "keys", "truncated"),
    [
        ("", 122, 122, False),
        ("", 121, 121, True),
        ("LIMIT 3", 3, 3, False),
        ("LIMIT 4", 3, 3, True),
        ("SKIP 120", 5, 2, False),
        ("SKIP 2 LIMIT 3", 2, 2, True),
    ],
)
def test_truncated_is_true_exactly_when_rows_were_dropped(
    store: GraphStore, tail: str, row_cap: int, keys: int, truncated: bool
) -> None:
    _groups(store)

    for order in ("", "ORDER BY g.key"):
        result = store.run_read_query(
            f"MATCH (g:Group) RETURN g.key {order} {tail}", row_cap=row_cap
        )

        assert len(result.rows) == keys, order
        assert result.truncated is truncated, order


def test_the_skip_and_limit_of_an_ordered_query_pick_exact_rows(store: GraphStore) -> None:
    _groups(store)

    result = store.run_read_query(
        "MATCH (g:Group) RETURN g.key ORDER BY g.key DESC SKIP 2 LIMIT 2", row_cap=10
    )

    assert result.rows == (("g119",), ("g118",))
    assert result.truncated is False


def test_a_runaway_query_is_stopped_at_its_timeout(store: GraphStore) -> None:
    """A cartesian product of every node four times over is stopped after 1 s."""
    _groups(store)
    started = time.monotonic()

    with pytest.raises(QueryFailed, match=re.escape("the query ran longer than 1 s")):
        store.run_read_query(
            "MATCH (a) MATCH (b) MATCH (c) MATCH (d) WHERE a.key <> d.key RETURN count(a) AS n",
            timeout_s=1.0,
        )

    assert time.monotonic() - started < 4.0
    assert store.run_read_query("MATCH (g:Group) RETURN count(g) AS n").rows == ((122,),)
