"""The API benchmark: GraphQL over HTTP against `keyturn serve`, one table per graph backend.

    .venv/bin/python -m tests.bench.bench_api [--duration 5] [--no-neo4j] [--workers 2]
        [--neo4j-warm-up 60]

For each backend it seeds the demo into a fresh graph with 64 more people in the demo's
`backend` group (the requesters: N clients are N people, each with an API token, as on a
Monday morning), issues tokens for them, the demo's approver (`grace`) and admin (`ada`),
starts `keyturn serve` as `make run` does (a child process; on Neo4j with `--workers`),
and drives it with Debian's `wrk` (C: one core of it outruns the server many times; a
Python client would saturate a core first) through tests/bench/wrk/graphql.lua, at 1, 8
and 64 connections:

- `me`: `{ me { email role } }`, as the requesters
- `myRequests`: `{ myRequests(first: 50) { id state } }`, as the requesters
- `requestAccess`: the demo's auto-approved flow (`orders-quick-look`), as the requesters
- `approveRequest`: pending requests on `db-readers` (made just before, over HTTP), as the
  one approver; each id is approved once, so a cell may end early when its share runs out
- `effectiveAccess`: the demo grantee's, as the one admin

One caller's documents run one at a time (api/graphql/calls.py: fairness between callers),
so the approver's and the admin's rows are one person's, whatever the connection count.

Each cell: requests/s, p50 and p99 latency, errors (non-200 answers, answers with GraphQL
`errors`, and socket errors/timeouts). Beside them, from the same run: bare `/healthz` over
HTTP at 8 connections, and the broker alone (`request_access` in this process, no HTTP, as
bench_lifecycle's (a) measures it) on a fresh graph of the same backend: silent, as
bench_lifecycle runs it, and delivering its mail into an outbox folder as the server does.

On Neo4j the server is loaded for a minute before anything is measured (`--neo4j-warm-up`):
a deployed Neo4j has run long enough for its JIT compiler to settle, a fresh one has not.

The per-caller rate limits (a few requests a minute per caller) would turn this into a test
of the limiter, since one token makes all the load: the server runs with them lifted.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import cast

import httpx

from api.server import open_services
from broker import NotifyConfig, issue_api_token, request_access, stored_webhooks
from broker.demo import DEMO_ADMIN, DEMO_APPROVER, DEMO_GRANTEE, seed_demo
from broker.notify import Notifier
from graph import NodeRef, UpsertEdge, UpsertNode
from tests.bench.bench_graph import BENCH_NEO4J_JAVA_OPTS

LUA = Path(__file__).resolve().parent / "wrk" / "graphql.lua"
KEYTURN = Path(sys.executable).with_name("keyturn")
CLIENTS = (1, 8, 64)
REQUESTERS = max(CLIENTS)
OPERATIONS: dict[str, tuple[str, dict[str, object]]] = {
    "me": ("requesters", {"query": "{ me { email role } }"}),
    "myRequests(first: 50)": ("requesters", {"query": "{ myRequests(first: 50) { id state } }"}),
    "requestAccess (auto)": (
        "requesters",
        {
            "query": "mutation($r: RequestAccessInput!) { requestAccess(request: $r) "
            "{ id state } }",
            "variables": {"r": {"resource": "pg-prod/orders", "durationMinutes": 60}},
        },
    ),
    "approveRequest": (
        "approver",
        {"query": 'mutation { approveRequest(id: "@ID@") { id state } }'},
    ),
    "effectiveAccess": (
        "admin",
        {"query": f'{{ effectiveAccess(identity: "{DEMO_GRANTEE}") {{ resource {{ key }} }} }}'},
    ),
}
_WRITES = frozenset({"requestAccess (auto)", "approveRequest"})
_PENDING = {
    "query": "mutation($r: RequestAccessInput!) { requestAccess(request: $r) { id } }",
    "variables": {
        "r": {"resource": "pg-prod/payments", "durationMinutes": 60, "justification": "bench"}
    },
}
_RESULT = re.compile(
    r"RESULT requests=(\d+) seconds=([\d.]+) p50_us=(\d+) p99_us=(\d+) errors=(\d+)"
)


@dataclass(frozen=True)
class Cell:
    rate: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per cell")
    parser.add_argument("--no-neo4j", action="store_true", help="the embedded graph only")
    parser.add_argument("--no-embedded", action="store_true", help="Neo4j only")
    parser.add_argument("--workers", type=int, default=2, help="server processes on Neo4j")
    parser.add_argument(
        "--neo4j-warm-up",
        type=float,
        default=60.0,
        help="seconds of load before Neo4j's cells, so its JIT compiler has settled",
    )
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        sys.exit("bench_api needs `wrk` (Debian: apt-get install wrk)")
    if not args.no_embedded:
        with tempfile.TemporaryDirectory() as scratch:
            url = f"embedded:{Path(scratch) / 'graph.db'}"
            broker_url = f"embedded:{Path(scratch) / 'broker-only.db'}"
            _report("embedded", _measure(url, broker_url, scratch, 1, args.duration, 0.0))
    if not args.no_neo4j:
        from tests.support.neo4j_server import running_neo4j

        # Neo4j tuned as a deployment runs it (the tests' default favours a quick start:
        # the C1 compiler only, a 1 GiB heap), as bench_graph does.
        os.environ.setdefault("KEYTURN_NEO4J_JAVA_OPTS", BENCH_NEO4J_JAVA_OPTS)
        with running_neo4j() as url, tempfile.TemporaryDirectory() as scratch:
            label = f"neo4j, {args.workers} worker(s)"
            warm_up = args.neo4j_warm_up
            _report(label, _measure(url, url, scratch, args.workers, args.duration, warm_up))


def _measure(
    url: str, broker_url: str, scratch: str, workers: int, duration: float, warm_up: float
) -> dict[str, object]:
    tokens = _seed(url)
    results: dict[str, object] = {}
    with _serving(url, scratch, workers) as base:
        _warm_up(base, tokens, seconds=warm_up)
        # Measured before and after the HTTP cells: the machine's speed drifts, and the
        # ratio to the broker is read against their mean.
        broker_before = _broker_only_rate(broker_url, seconds=duration)
        _wrk(base + "/healthz", [], None, clients=8, seconds=1)  # warm up
        results["healthz"] = _wrk(base + "/healthz", [], None, clients=8, seconds=duration)
        cells: dict[tuple[str, int], Cell] = {}
        # Reads first: the writes add requests and grants the reads would then list.
        for name in sorted(OPERATIONS, key=lambda name: name in _WRITES):
            who, body = OPERATIONS[name]
            shares: list[Path | None] = [None] * (len(CLIENTS) + 1)
            if name == "approveRequest":
                shares = _pending_ids(base, tokens, scratch, seconds=3 * duration * 1.5)
            # warm up (the first share of ids) as long as a cell runs: Neo4j's JIT and plan
            # cache take seconds to settle on a new statement; then one cell per client count
            _wrk(base + "/graphql", tokens[who], body, 8, seconds=duration, ids=shares[0])
            for clients, ids in zip(CLIENTS, shares[1:], strict=True):
                cells[name, clients] = _wrk(
                    base + "/graphql", tokens[who], body, clients, seconds=duration, ids=ids
                )
        results["cells"] = {key: cells[key] for key in sorted(cells, key=_table_order)}
    results["broker-only requestAccess/s"] = (
        broker_before,
        _broker_only_rate(broker_url, seconds=duration),
    )
    mail = Path(scratch) / "broker-only-outbox"
    results["broker with mail requestAccess/s"] = _broker_only_rate(
        broker_url, seconds=duration, mail_to=mail
    )
    return results


def _warm_up(base: str, tokens: dict[str, list[str]], *, seconds: float) -> None:
    """Load the server for `seconds`, the reads and the request in turn, before anything is
    measured. A deployed Neo4j has run for days: its JIT compiler has long compiled Cypher's
    runtime and the generated code of each statement. Fresh, it spends more CPU compiling
    than answering for about a minute (seen in /proc: the compiler threads took over half of
    its CPU for 40 s, and the request rate rose from 11/s to 75/s as they went quiet)."""
    names = [name for name in OPERATIONS if name != "approveRequest"]
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        for name in names:
            who, body = OPERATIONS[name]
            # People of their own: the requesters' lists stay as short as without it.
            who = "warm-up" if who == "requesters" else who
            _wrk(base + "/graphql", tokens[who], body, 8, seconds=5)


def _broker_only_rate(url: str, *, seconds: float, mail_to: Path | None = None) -> float:
    """`request_access` calls a second, one after another. Silent as bench_lifecycle's,
    or, with `mail_to`, delivering mail into that outbox folder as `keyturn serve` does
    (the time to deliver what is still queued at the end counts)."""
    services = open_services(url)
    if mail_to is not None:
        config = NotifyConfig(outbox=str(mail_to))
        services.notifier = config.notifier(
            stored_webhooks=partial(stored_webhooks, services.store)
        )
    try:
        seed_demo(services)

        def ask() -> None:
            request_access(
                services,
                requester=DEMO_GRANTEE,
                resource="pg-prod/orders",
                permissions=["read"],
                duration_minutes=60,
            )

        for _ in range(20):
            ask()
        done, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            ask()
            done += 1
        if isinstance(services.notifier, Notifier) and not services.notifier.drain(60):
            sys.exit("the broker's mail was not delivered within 60 s")
        return done / (time.perf_counter() - start)
    finally:
        services.notifier.close()
        services.store.close()


def _seed(url: str) -> dict[str, list[str]]:
    """The demo, the requesters, and API tokens by role."""
    services = open_services(url)
    try:
        seed_demo(services)
        people = [f"bench-{n}@acme.example" for n in range(REQUESTERS)]
        # others for the warm-up, so the requesters' own lists stay as short as they were
        warming = [f"warm-up-{n}@acme.example" for n in range(8)]
        now = services.clock()
        services.store.write(
            [
                UpsertNode(
                    "User", who, {"email": who, "name": who, "role": "grantee", "created_at": now}
                )
                for who in people + warming
            ]
            + [
                UpsertEdge("MEMBER_OF", NodeRef("User", who), NodeRef("Group", "backend"))
                for who in people + warming
            ]
        )

        def token(user: str) -> str:
            return issue_api_token(services, owner=user, name="bench")

        return {
            "requesters": [token(who) for who in people],
            "warm-up": [token(who) for who in warming],
            "approver": [token(DEMO_APPROVER)],
            "admin": [token(DEMO_ADMIN)],
        }
    finally:
        services.store.close()


@contextmanager
def _serving(url: str, scratch: str, workers: int) -> Iterator[str]:
    port = _free_port()
    env = dict(
        os.environ,
        KEYTURN_RATE_WRITES_PER_MINUTE="100000000",
        KEYTURN_RATE_REQUESTS_PER_MINUTE="100000000",
    )
    command = [str(KEYTURN), "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--graph", url] + (["--workers", str(workers)] if workers > 1 else [])
    log = open(Path(scratch) / f"serve-{port}.log", "wb")  # noqa: SIM115 - closed below
    server = subprocess.Popen(command, cwd=scratch, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base, server)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def _wait_healthy(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"keyturn serve exited with {server.returncode}")
        try:
            httpx.get(base + "/healthz", timeout=2).raise_for_status()
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    sys.exit("keyturn serve did not answer /healthz within 120 s")


def _pending_ids(
    base: str, tokens: dict[str, list[str]], scratch: str, *, seconds: float
) -> list[Path | None]:
    """Pending requests for the approver, made over HTTP for `seconds` at 8 connections."""
    _wrk(base + "/graphql", tokens["requesters"], _PENDING, clients=8, seconds=seconds)
    ids: list[str] = []
    while True:
        page = _post(
            base,
            tokens["approver"][0],
            {"query": f"{{ pendingApprovals(first: 100, offset: {len(ids)}) {{ id }} }}"},
        )
        found = [row["id"] for row in page["data"]["pendingApprovals"]]
        ids += found
        if len(found) < 100:
            break
    print(f"  {len(ids)} pending requests to approve", file=sys.stderr)
    # a tenth to warm up, the rest in equal shares, one per cell
    warm = len(ids) // 10
    shares = [ids[:warm]] + [ids[warm + n :: len(CLIENTS)] for n in range(len(CLIENTS))]
    paths: list[Path | None] = []
    for n, share in enumerate(shares):
        path = Path(scratch) / f"pending-{n}.txt"
        path.write_text("".join(f"{id_}\n" for id_ in share))
        paths.append(path)
    return paths


def _table_order(key: tuple[str, int]) -> tuple[int, int]:
    return list(OPERATIONS).index(key[0]), key[1]


def _post(base: str, token: str, body: dict[str, object]) -> dict[str, object]:
    answer = httpx.post(
        base + "/graphql", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    result: dict[str, object] = answer.raise_for_status().json()
    return result


def _wrk(
    url: str,
    tokens: list[str],
    body: dict[str, object] | None,
    clients: int,
    seconds: float,
    ids: Path | None = None,
) -> Cell:
    """One wrk run: `clients` connections, as the first `clients` of `tokens` (as many as
    there are), posting `body` (None: a plain GET)."""
    threads = 1 if clients == 1 else 2
    command = ["wrk", "-t", str(threads), "-c", str(clients), "-d", f"{max(1, round(seconds))}s"]
    command += ["--timeout", "10s", "--latency", "-s", str(LUA), url, "--"]
    with tempfile.TemporaryDirectory() as inputs:
        body_file, tokens_file = Path(inputs) / "body.json", Path(inputs) / "tokens.txt"
        body_file.write_text(json.dumps(body) if body is not None else "")
        tokens_file.write_text("".join(f"{t}\n" for t in tokens[:clients]))
        command += [str(tokens_file), str(body_file), str(threads)] + ([str(ids)] if ids else [])
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    found = _RESULT.search(out)
    if found is None:
        sys.exit(f"wrk gave no result:\n{out}")
    requests, secs, p50, p99, errors = found.groups()
    return Cell(
        rate=int(requests) / float(secs),
        p50_ms=int(p50) / 1000,
        p99_ms=int(p99) / 1000,
        errors=int(errors),
        requests=int(requests),
    )


def _report(label: str, results: dict[str, object]) -> None:
    healthz = results["healthz"]
    assert isinstance(healthz, Cell)
    cells = results["cells"]
    assert isinstance(cells, dict)
    before, after = cast(tuple[float, float], results["broker-only requestAccess/s"])
    broker = (before + after) / 2
    print(f"\n### {label}")
    print(
        f"bare /healthz at 8 clients: {healthz.rate:,.0f} req/s; broker alone "
        f"(request_access, no HTTP): {before:,.0f} req/s before the cells, {after:,.0f} "
        f"after (mean {broker:,.0f})"
    )
    with_mail = cast(float, results["broker with mail requestAccess/s"])
    print(
        f"broker alone delivering its mail as the server does (to an outbox folder): "
        f"{with_mail:,.0f} req/s"
    )
    me, asked = cells.get(("me", 8)), cells.get(("requestAccess (auto)", 8))
    if isinstance(me, Cell) and isinstance(asked, Cell):
        print(
            f"at 8 clients: `me` {me.rate / healthz.rate:.0%} of /healthz; `requestAccess` "
            f"{asked.rate / broker:.0%} of the broker alone, {asked.rate / with_mail:.0%} "
            "of the broker delivering its mail\n"
        )
    print("| operation | clients | req/s | p50 ms | p99 ms | errors | requests |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for (name, clients), cell in cells.items():
        if cell.requests == 0:  # approveRequest: this cell's share of pending requests was empty
            print(f"| {name} | {clients} | - | - | - | - | 0 (no pending requests left) |")
            continue
        print(
            f"| {name} | {clients} | {cell.rate:,.0f} | {cell.p50_ms:.1f} | "
            f"{cell.p99_ms:.1f} | {cell.errors} | {cell.requests} |"
        )
    sys.stdout.flush()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


if __name__ == "__main__":
    main()
