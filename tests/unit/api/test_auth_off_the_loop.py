"""Authenticating a caller reads the graph (the token, then its owner): round trips on
Neo4j. They run on worker threads, so a slow graph never stalls the event loop that serves
every other caller. Pinned through the real app over HTTP, with reads that each take
0.2 s."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from api.app import create_app
from api.server import open_services
from broker import issue_api_token
from broker.demo import DEMO_GRANTEE, seed_demo
from tests.support.read_counter import ReadCounter

READ_DELAY = 0.2
TICK = 0.01


def _http_scope(token: str, body: bytes) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"keyturn.test"),
            (b"authorization", f"Bearer {token}".encode()),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("keyturn.test", 80),
        "state": {},
    }


async def _one_query(app: Any, token: str) -> dict[str, Any]:
    """POST `{ __typename }` to /graphql through the app and return the decoded answer."""
    body = json.dumps({"query": "{ __typename }"}).encode()
    sent_body = False
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent_body
        if not sent_body:
            sent_body = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # the client stays connected
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await asyncio.wait_for(app(_http_scope(token, body), receive, send), timeout=10)
    answer: dict[str, Any] = json.loads(b"".join(chunks))
    return answer


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
def test_a_websocket_to_graphql_is_closed_unserved(tmp_path: Path, protocol: str) -> None:
    """The schema has no subscriptions: a WebSocket would be a door past the HTTP guard
    (its 401, size and shape checks), so the route speaks no GraphQL protocol over one."""
    services = open_services(f"embedded:{tmp_path / 'graph.db'}")
    seed_demo(services)
    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "scheme": "ws",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"keyturn.test"), (b"sec-websocket-protocol", protocol.encode())],
        "subprotocols": [protocol],
        "client": ("127.0.0.1", 50000),
        "server": ("keyturn.test", 80),
        "state": {},
    }
    init = {"type": "connection_init"}
    query = {
        "type": "subscribe",
        "id": "1",
        "payload": {"query": "{ __schema { types { name } } }"},
    }

    async def main() -> list[dict[str, Any]]:
        incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        for message in (
            {"type": "websocket.connect"},
            {"type": "websocket.receive", "text": json.dumps(init)},
            {"type": "websocket.receive", "text": json.dumps(query)},
        ):
            incoming.put_nowait(message)
        sent: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)
            if message["type"] == "websocket.close":
                incoming.put_nowait({"type": "websocket.disconnect", "code": 1000})

        await asyncio.wait_for(create_app(services)(scope, incoming.get, send), timeout=10)
        return sent

    try:
        sent = asyncio.run(main())
    finally:
        services.store.close()
    assert [m["type"] for m in sent if m["type"] == "websocket.send"] == []
    assert sent[-1]["type"] == "websocket.close", sent


def test_slow_authentication_reads_leave_the_event_loop_free(tmp_path: Path) -> None:
    services = open_services(f"embedded:{tmp_path / 'graph.db'}")
    seed_demo(services)
    token = issue_api_token(services, owner=DEMO_GRANTEE, name="slow")
    slow = ReadCounter(services.store, read_delay=READ_DELAY)
    services.store = slow

    async def main() -> tuple[dict[str, Any], int]:
        ticks = 0
        running = True

        async def ticker() -> None:
            nonlocal ticks
            while running:
                await asyncio.sleep(TICK)
                ticks += 1

        ticking = asyncio.create_task(ticker())
        await asyncio.sleep(0)  # let it start
        try:
            answer = await _one_query(create_app(services), token)
        finally:
            running = False
            await ticking
        return answer, ticks

    try:
        answer, ticks = asyncio.run(main())
    finally:
        slow.close()
    assert answer == {"data": {"__typename": "Query"}}
    # `{ __typename }` reads nothing: the one read is the token's, with its owner.
    assert slow.by_method() == {"find_node_and_named": 1}, slow.report()
    # Blocking reads would hold the loop for their whole 0.4 s: the ticker could not tick.
    waited = slow.count * READ_DELAY
    assert ticks >= waited / TICK / 4, f"the loop ticked {ticks} times in {waited} s of reads"
