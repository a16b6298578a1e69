"""Over HTTP: the cost budget, page caps, one change per request, the response ceiling, and
each caller's bounded share of the worker threads."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from graphql import parse

import api.graphql.guard as guard
import api.graphql.queries_requests as queries_requests
from api.graphql.calls import CALLS_PER_CALLER
from api.graphql.cost import COST_BUDGET, document_cost
from api.graphql.limits import MAX_ALIASES
from api.graphql.paging import PAGE_CAP
from api.graphql.schema import schema
from broker import issue_api_token
from broker.demo import DEMO_APPROVER, DEMO_AUDITOR, DEMO_GRANTEE
from graph import NodeRef, UpsertEdge, UpsertNode
from tests.e2e.conftest import LiveKeyturn
from tests.support.http_server import GraphQLClient

REQUEST = """
mutation($resource: String!) {
  requestAccess(request: {resource: $resource, permissions: ["read"], durationMinutes: 30,
                          justification: "load"}) { id }
}"""


def test_an_over_budget_document_is_refused_with_its_cost(live: LiveKeyturn) -> None:
    aliases = " ".join(
        f"a{n}: myRequests(first: {PAGE_CAP}) {{ id justification }}" for n in range(12)
    )
    error = live.grantee.error("query Wide { " + aliases + " }")
    assert error["extensions"]["code"] == "query_too_costly"
    assert error["extensions"]["budget"] == COST_BUDGET
    assert error["message"].startswith("`Wide` would cost ")


def test_every_list_takes_a_capped_page(live: LiveKeyturn) -> None:
    for resource in ("pg-prod/orders", "pg-prod/payments"):
        live.grantee.data(REQUEST, resource=resource)
    everything = live.grantee.data("{ myRequests { id } }")["myRequests"]
    assert len(everything) == 2
    assert live.grantee.data("{ myRequests(first: 1) { id } }")["myRequests"] == everything[:1]
    second = live.grantee.data("{ myRequests(first: 1, offset: 1) { id } }")["myRequests"]
    assert second == everything[1:]
    error = live.grantee.error(f"{{ myRequests(first: {PAGE_CAP + 1}) {{ id }} }}")
    assert error["extensions"]["code"] == "invalid_input"
    assert error["message"] == (
        f"page size `{PAGE_CAP + 1}` is outside 0..{PAGE_CAP}: ask for at most {PAGE_CAP} "
        "and use `offset` for the next page"
    )


def test_two_changes_in_one_request_are_refused_and_neither_is_made(live: LiveKeyturn) -> None:
    before = live.grantee.data("{ apiTokens { key } }")["apiTokens"]
    error = live.grantee.error(
        f'mutation {{ a: issueToken(name: "hidden") {{ token }} '
        f'b: setUserRole(user: "{DEMO_GRANTEE}", role: "admin") {{ key }} }}'
    )
    assert error["extensions"]["code"] == "one_change_per_request"
    assert error["message"] == (
        "the mutation makes 2 changes (`a`, `b`), but a request may make one: send each "
        "change in its own request so you see every result"
    )
    assert live.grantee.data("{ apiTokens { key } }")["apiTokens"] == before


def test_a_response_past_the_ceiling_is_refused_not_sent(
    live: LiveKeyturn, monkeypatch: pytest.MonkeyPatch
) -> None:
    live.grantee.data(REQUEST, resource="pg-prod/orders")
    monkeypatch.setattr(guard, "MAX_RESPONSE_BYTES", 40)
    body = live.grantee.call("{ myRequests { id justification resource } }")
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "response_too_large"
    assert "pg-prod/orders" not in str(body)


def _counting(
    real: Callable[..., Any], seconds: float
) -> tuple[Callable[..., Any], dict[str, int]]:
    """`real`, slowed down, counting its calls and the most that ran at once."""
    seen = {"calls": 0, "running": 0, "most": 0}
    lock = threading.Lock()

    def slow(*args: Any, **kwargs: Any) -> Any:
        with lock:
            seen["calls"] += 1
            seen["running"] += 1
            seen["most"] = max(seen["most"], seen["running"])
        try:
            time.sleep(seconds)
            return real(*args, **kwargs)
        finally:
            with lock:
                seen["running"] -= 1

    return slow, seen


def test_one_callers_fan_out_runs_a_few_calls_at_a_time_and_stops_when_they_leave(
    live: LiveKeyturn, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow, seen = _counting(queries_requests.pending_approvals, 0.1)
    monkeypatch.setattr(queries_requests, "pending_approvals", slow)
    fan_out = "{ " + " ".join(f"a{n}: pendingApprovals {{ id }}" for n in range(MAX_ALIASES)) + " }"
    token = issue_api_token(live.services, owner=DEMO_APPROVER, name="leaving")
    with (
        httpx.Client(
            base_url=live.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=0.45
        ) as leaving,
        pytest.raises(httpx.ReadTimeout),
    ):
        leaving.post("/graphql", json={"query": fan_out})
    time.sleep(1.5)  # what would be left: 50 calls at 4 a time, 0.1 s each
    assert seen["most"] == CALLS_PER_CALLER
    started = seen["calls"]
    assert started < MAX_ALIASES - 2 * CALLS_PER_CALLER, seen
    time.sleep(0.5)
    assert seen["calls"] == started, "calls went on starting after the client left"
    # Another caller meanwhile is not held up by the first one's queue.
    assert live.grantee.data("{ pendingApprovals { id } }") == {"pendingApprovals": []}


def _seed_bulk_group(live: LiveKeyturn, members: int) -> None:
    live.services.store.write([UpsertNode("Group", "bulk", {"name": "bulk", "source": "test"})])
    for first in range(0, members, 50):  # small batches: the test Neo4j has a small heap
        ops: list[Any] = []
        for n in range(first, min(first + 50, members)):
            key = f"bulk{n}@acme.example"
            ops.append(UpsertNode("User", key, {"email": key, "name": f"Bulk {n}"}))
            ops.append(UpsertEdge("MEMBER_OF", NodeRef("User", key), NodeRef("Group", "bulk")))
            ops.append(UpsertEdge("MEMBER_OF", NodeRef("User", key), NodeRef("Group", "backend")))
        live.services.store.write(ops)


def _widest(one: str) -> str:
    """As many aliases of `one` as the budget accepts (and one more would not fit)."""
    each = document_cost(schema._schema, parse("{ " + one + " }"))
    count = COST_BUDGET // each
    fields = [f"a{n}: {one}" for n in range(count)]
    assert document_cost(schema._schema, parse("{ " + " ".join(fields) + " }")) <= COST_BUDGET
    assert (count + 1) * each > COST_BUDGET
    return "{ " + " ".join(fields) + " }"


# Most broker calls per unit of cost: a page of members, each asked for its own edges.
FAN_OUT = _widest(
    'graphNode(kind: "Group", key: "bulk") { neighbours(edge: "MEMBER_OF", direction: IN, '
    'first: 100) { neighbours(edge: "MEMBER_OF", first: 0) { key } } }'
)
# The largest response: full pages of members with all their properties.
WIDE = _widest(
    'graphNode(kind: "Group", key: "bulk") { neighbours(edge: "MEMBER_OF", direction: IN, '
    f"first: {PAGE_CAP}) {{ kind key props }} }}"
)


def test_one_callers_most_expensive_documents_do_not_slow_anothers_me(live: LiveKeyturn) -> None:
    _seed_bulk_group(live, 300)
    assert len(live.auditor.data(WIDE)["a0"]["neighbours"]) == 300
    token = issue_api_token(live.services, owner=DEMO_AUDITOR, name="load")
    stop = threading.Event()
    done: list[float] = []
    failures: list[str] = []

    def hammer(document: str) -> None:
        auditor = GraphQLClient(live.base_url, token)
        try:
            while not stop.is_set():
                started = time.perf_counter()
                try:
                    body = auditor.call(document)
                except httpx.TimeoutException:
                    continue  # queued behind the caller's other documents: still load
                done.append(time.perf_counter() - started)
                if body.get("errors"):
                    failures.append(str(body["errors"])[:300])
        finally:
            auditor.close()

    load = [threading.Thread(target=hammer, args=(d,)) for d in (FAN_OUT, WIDE) * 2]
    for thread in load:
        thread.start()
    try:
        time.sleep(1.0)  # every loader has a document in flight
        latencies = []
        for _ in range(40):
            started = time.perf_counter()
            assert live.grantee.data("{ me { email } }") == {"me": {"email": DEMO_GRANTEE}}
            latencies.append(time.perf_counter() - started)
            time.sleep(0.05)
    finally:
        stop.set()
        for thread in load:
            thread.join(timeout=60)
    assert not failures, failures[0]
    assert done, "none of the loaders' documents completed"
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    assert p95 < 0.25, f"`me` p95 {p95 * 1000:.0f} ms under load; all: {latencies}"
