"""Raw queries over GraphQL, on each backend: a runaway query is stopped at the timeout
without growing the server, one runs at a time per caller and a few at once overall,
and a small row cap never changes an answer, only cuts its rows (and says so)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from broker import issue_api_token
from broker.demo import DEMO_AUDITOR
from broker.reads import graph_queries as gq
from broker.reads.graph_queries import RawQueryGate, RawQueryLimits
from graph import UpsertNode
from tests.e2e.conftest import LiveKeyturn
from tests.support.http_server import GraphQLClient

RAW = """
query($cypher: String!, $rowCap: Int!) {
  rawQuery(cypher: $cypher, rowCap: $rowCap) { columns rows truncated }
}"""
RUNAWAY = "MATCH (a) MATCH (b) MATCH (c) MATCH (d) WHERE a.key <> d.key RETURN count(a) AS n"
QUICK = "MATCH (g:Group) WHERE g.key = 'g000' RETURN g.key AS key"


@pytest.fixture
def big(live: LiveKeyturn) -> LiveKeyturn:
    """The demo organisation plus 122 groups: four of every node are hundreds of millions."""
    live.services.store.write(
        [UpsertNode("Group", f"g{i:03d}", {"name": f"g{i:03d}"}) for i in range(122)]
    )
    return live


def _limit(monkeypatch: pytest.MonkeyPatch, **limits: Any) -> None:
    monkeypatch.setattr(gq, "RAW_QUERIES", RawQueryGate(RawQueryLimits(**limits)))


@pytest.fixture
def second_auditor_client(live: LiveKeyturn) -> Iterator[GraphQLClient]:
    """The auditor again, on a second connection (a second tab, or a script)."""
    token = issue_api_token(live.services, owner=DEMO_AUDITOR, name="second")
    client = GraphQLClient(live.base_url, token)
    yield client
    client.close()


def _in_background(client: GraphQLClient, cypher: str) -> tuple[threading.Thread, list[Any]]:
    answers: list[Any] = []
    worker = threading.Thread(
        target=lambda: answers.append(client.call(RAW, cypher=cypher, rowCap=10))
    )
    worker.start()
    time.sleep(0.5)  # the query is running on the server by now
    return worker, answers


def _children() -> set[int]:
    me = str(os.getpid())
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            after_name = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if after_name[1] == me:
            found.add(int(stat.parent.name))
    return found


def _rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def test_a_runaway_raw_query_is_stopped_at_the_timeout_and_the_server_stays_small(
    big: LiveKeyturn, monkeypatch: pytest.MonkeyPatch
) -> None:
    _limit(monkeypatch, timeout_s=1.0)
    children, rss = _children(), _rss()
    started = time.monotonic()

    error = big.auditor.error(RAW, cypher=RUNAWAY, rowCap=10)

    assert time.monotonic() - started < 4.0
    assert error["extensions"]["code"] == "query_failed"
    assert error["message"] == "the query ran longer than 1 s: narrow it or add a LIMIT"
    assert _children() == children
    assert _rss() - rss < 100 * 1024 * 1024
    quick = big.auditor.data(RAW, cypher=QUICK, rowCap=10)["rawQuery"]
    assert quick["rows"] == [["g000"]]


def test_a_second_raw_query_from_the_same_caller_waits_until_the_first_has_ended(
    big: LiveKeyturn, monkeypatch: pytest.MonkeyPatch, second_auditor_client: GraphQLClient
) -> None:
    """Over the API a caller's documents take turns, so a second raw query from the same
    person (another tab) never runs beside the first: it answers once the first has been
    stopped. The broker's own gate refuses it outright for callers that do not take turns
    (tests/unit/broker/test_raw_query_gate.py)."""
    _limit(monkeypatch, timeout_s=2.0, at_once=2, wait_s=0.1)

    worker, answers = _in_background(big.auditor, RUNAWAY)
    asked = time.monotonic()
    again = second_auditor_client.data(RAW, cypher=QUICK, rowCap=10)["rawQuery"]
    waited = time.monotonic() - asked
    worker.join()

    assert answers[0]["errors"][0]["extensions"]["code"] == "query_failed"
    assert again["rows"] == [["g000"]]
    assert waited >= 1.0, "it ran beside the runaway query instead of after it"


def test_another_caller_is_refused_when_the_server_runs_its_most_raw_queries(
    big: LiveKeyturn, monkeypatch: pytest.MonkeyPatch
) -> None:
    _limit(monkeypatch, timeout_s=2.0, at_once=1, wait_s=0.2)

    worker, _ = _in_background(big.admin, RUNAWAY)
    refused = big.auditor.error(RAW, cypher=QUICK, rowCap=10)
    worker.join()

    assert refused["extensions"]["code"] == "too_many_queries"
    assert refused["message"] == (
        "the server is already running 1 raw query, the most it runs at once: "
        "try again in a few seconds"
    )
    assert big.auditor.data(RAW, cypher=QUICK, rowCap=10)["rawQuery"]["rows"] == [["g000"]]


def test_a_small_row_cap_keeps_counts_exact_and_truncated_says_when_rows_were_dropped(
    big: LiveKeyturn,
) -> None:
    every = big.auditor.data(RAW, cypher="MATCH (n) RETURN n.key AS key", rowCap=10_000)
    nodes = len(every["rawQuery"]["rows"])

    counted = big.auditor.data(RAW, cypher="MATCH (n) RETURN count(n) AS n", rowCap=10)
    capped = big.auditor.data(RAW, cypher="MATCH (n) RETURN n.key AS key", rowCap=10)

    assert nodes > 122 and every["rawQuery"]["truncated"] is False
    assert counted["rawQuery"] == {"columns": ["n"], "rows": [[nodes]], "truncated": False}
    assert len(capped["rawQuery"]["rows"]) == 10 and capped["rawQuery"]["truncated"] is True
