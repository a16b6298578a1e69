"""The request-lifecycle benchmark: both graph backends side by side, one table.

    .venv/bin/python -m tests.bench.bench_lifecycle [--quick] [--no-neo4j]

(a) request -> auto-approval -> grant through the broker (no HTTP): `request_access` by one
    grantee on the demo's auto-approved flow, with the graph-only provisioner and no
    notifier, on a fresh graph. Reported per wall-clock second, and per second of this
    process's CPU (the figure a quiet machine reaches; on a shared machine the wall figure
    also counts other processes' use of the cores).
(b) 10,000 active grants expiring within one minute, on the real clock (no scaling): the
    grants are written in bulk as `grant_request` writes them (request, edges, Grant node,
    HAS_ACCESS edge) with `expires_at` spread evenly over 60 s after a lead time (long enough
    to write them all first; a warning says when it was not, and lateness then counts it),
    then a real `ExpiryScheduler` thread (interval 1 s) revokes them. Lateness is the time a
    grant's EXPIRED notice is published (after its write committed) minus its `expires_at`.
    Duplicates: revokes per grant seen by the provisioner, `grant.expired` activity-log
    events per grant, and HAS_ACCESS edges left over; all must be 1, 1 and 0.

`--quick` shrinks (a) to 200 requests and (b) to 1,000 grants over 10 s, as a smoke run.
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from api.server import open_services
from broker import ExpiryScheduler, Services, request_access
from broker.demo import DEMO_GRANTEE, seed_demo
from broker.notify import Notice, NoticeKind
from graph import Node, NodeRef, UpsertEdge, UpsertNode, WriteOp

FLOW = "orders-quick-look"  # the demo's flow with no approver: auto-approval
RESOURCE = "pg-prod/orders"
TARGETS = {
    "(a) requests/s (wall)": ">= 300 (embedded)",
    "(a) requests/s (cpu)": "",
    "(b) grants revoked": "all",
    "(b) lateness p50 (s)": "",
    "(b) lateness p99 (s)": "<= 5",
    "(b) lateness max (s)": "",
    "(b) duplicate revokes": "0",
    "(b) duplicate expiry events": "0",
    "(b) HAS_ACCESS left": "0",
}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    parser.add_argument("--no-neo4j", action="store_true", help="measure the embedded graph only")
    parser.add_argument("--requests", type=int, help="(a) requests (default 2,000; quick 200)")
    parser.add_argument("--grants", type=int, help="(b) grants (default 10,000; quick 1,000)")
    parser.add_argument("--window", type=float, help="(b) seconds (default 60; quick 10)")
    args = parser.parse_args(argv)
    sizes = {
        "requests": args.requests or (200 if args.quick else 2_000),
        "grants": args.grants or (1_000 if args.quick else 10_000),
        "window": args.window or (10.0 if args.quick else 60.0),
    }
    results: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        db = Path(scratch) / "graph.db"
        results["embedded"] = _measure(lambda: f"embedded:{db}", sizes, fresh=db)
    if not args.no_neo4j:
        from tests.support.neo4j_server import running_neo4j

        with running_neo4j() as url:
            results["neo4j"] = _measure(lambda: url, sizes, fresh=None)
    _print_table(results, sizes)


def _measure(url: Any, sizes: dict[str, Any], *, fresh: Path | None) -> dict[str, str]:
    backend = "embedded" if fresh is not None else "neo4j"
    print(f"{backend}: (a) {sizes['requests']:,} requests ...", file=sys.stderr)
    with _services(url(), fresh) as services:
        wall, cpu = _request_rate(services, sizes["requests"])
    row = {"(a) requests/s (wall)": f"{wall:,.0f}", "(a) requests/s (cpu)": f"{cpu:,.0f}"}
    print(
        f"{backend}: (b) {sizes['grants']:,} grants over {sizes['window']:.0f} s ...",
        file=sys.stderr,
    )
    with _services(url(), fresh) as services:
        # Room to write the grants before the first falls due (Neo4j takes ~3 s per 1,000).
        lead = 5.0 + sizes["grants"] / (1_000 if fresh is not None else 250)
        row.update(_expiry(services, sizes["grants"], sizes["window"], lead))
    for name, value in row.items():  # as it comes, in case a later backend fails
        print(f"  {name}: {value}", file=sys.stderr)
    return row


@contextmanager
def _services(url: str, fresh: Path | None) -> Iterator[Services]:
    """Services on an empty graph holding only the demo organisation."""
    if fresh is not None:
        for leftover in fresh.parent.glob(fresh.name + "*"):
            leftover.unlink()
    else:
        wiper = open_services(url)
        wiper.store.clear()
        wiper.store.close()
    services = open_services(url)
    try:
        seed_demo(services)
        yield services
    finally:
        services.store.close()


def _request_rate(services: Services, count: int) -> tuple[float, float]:
    def ask() -> None:
        request_access(
            services,
            requester=DEMO_GRANTEE,
            resource=RESOURCE,
            permissions=["read"],
            duration_minutes=60,
        )

    for _ in range(20):  # warm up: compiled policies, statement caches, the JIT of Neo4j
        ask()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(count):
        ask()
    return count / (time.perf_counter() - wall), count / (time.process_time() - cpu)


class _Recorder:
    """Provisioner and notifier at once: counts revokes and times EXPIRED notices."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.revokes: collections.Counter[str] = collections.Counter()
        self.expired_at: dict[str, float] = {}

    def grant(self, request: Node) -> dict[str, str]:
        return {}

    def revoke(self, request: Node) -> None:
        with self._lock:
            self.revokes[request.key] += 1

    def publish(self, notice: Notice) -> None:
        if notice.kind is NoticeKind.EXPIRED:
            seen = time.time()
            with self._lock:
                self.expired_at.setdefault(notice.request, seen)

    def close(self) -> None:
        return None


def _expiry(services: Services, grants: int, window: float, lead: float) -> dict[str, str]:
    start = time.time() + lead
    expires = {f"req_bench_{i:06d}": start + window * i / grants for i in range(grants)}
    services.store.import_batches(_grant_batches(expires, now=time.time()))
    late_start = time.time() - start
    if late_start > 0:
        print(f"  writing the grants ran {late_start:.1f} s past the first expiry", file=sys.stderr)
    recorder = _Recorder()
    services.provisioner = recorder
    services.notifier = recorder
    scheduler = ExpiryScheduler(services, interval=1.0)
    scheduler.start()
    deadline = start + window + 60.0
    try:
        while len(recorder.expired_at) < grants and time.time() < deadline:
            time.sleep(0.2)
        time.sleep(1.0)  # let a last pass show any duplicate
    finally:
        scheduler.stop()
    lateness = sorted(recorder.expired_at[k] - expires[k] for k in recorder.expired_at)
    events = collections.Counter(
        str(node.props.get("subject"))
        for node in services.store.find_nodes("AuditEvent", equals={"kind": "grant.expired"})
    )
    left = services.store.edges("HAS_ACCESS", dst=NodeRef("Resource", RESOURCE))
    return {
        "(b) grants revoked": f"{len(recorder.expired_at):,} / {grants:,}",
        "(b) lateness p50 (s)": _quantile(lateness, 0.50),
        "(b) lateness p99 (s)": _quantile(lateness, 0.99),
        "(b) lateness max (s)": _quantile(lateness, 1.0),
        "(b) duplicate revokes": str(sum(n - 1 for n in recorder.revokes.values() if n > 1)),
        "(b) duplicate expiry events": str(sum(n - 1 for n in events.values() if n > 1)),
        "(b) HAS_ACCESS left": str(sum(1 for e in left if e.key in expires)),
    }


def _grant_batches(expires: dict[str, float], *, now: float) -> Iterator[list[WriteOp]]:
    """What `grant_request` leaves behind for each grant, written in batches of like ops."""
    keys = list(expires)
    people = [f"bench-{j:03d}@acme.example" for j in range(100)]
    yield [UpsertNode("User", p, {"email": p, "name": p, "role": "grantee"}) for p in people]
    for at in range(0, len(keys), 1_000):
        chunk = keys[at : at + 1_000]
        owner = {key: NodeRef("User", people[i % len(people)]) for i, key in enumerate(chunk)}
        resource = NodeRef("Resource", RESOURCE)
        yield [
            UpsertNode("AccessRequest", k, _request(owner[k].key, expires[k], now)) for k in chunk
        ]
        yield [UpsertNode("Grant", k, _grant(k, owner[k].key, expires[k], now)) for k in chunk]
        ref = {k: NodeRef("AccessRequest", k) for k in chunk}
        yield [UpsertEdge("REQUESTED", owner[k], ref[k]) for k in chunk]
        yield [UpsertEdge("FOR", ref[k], resource) for k in chunk]
        yield [UpsertEdge("MATCHED", ref[k], NodeRef("AccessFlow", FLOW)) for k in chunk]
        yield [UpsertEdge("FOR", NodeRef("Grant", k), resource) for k in chunk]
        yield [
            UpsertEdge(
                "HAS_ACCESS",
                owner[k],
                resource,
                key=k,
                props={
                    "grant": k,
                    "permissions": ["read"],
                    "expires_at": expires[k],
                    "standing": False,
                },
            )
            for k in chunk
        ]


def _request(requester: str, expires_at: float, now: float) -> dict[str, Any]:
    return {
        "requester": requester,
        "beneficiary": requester,
        "beneficiary_kind": "User",
        "resource": RESOURCE,
        "target_kind": "Resource",
        "flow": FLOW,
        "state": "GRANTED",
        "permissions": ["read"],
        "duration_minutes": 1,
        "justification": "",
        "created_at": now,
        "decided_at": now,
        "decided_by": "auto-approval",
        "granted_at": now,
        "expires_at": expires_at,
        "version": 1,
    }


def _grant(key: str, identity: str, expires_at: float, now: float) -> dict[str, Any]:
    return {
        "request": key,
        "identity": identity,
        "resource": RESOURCE,
        "permissions": ["read"],
        "granted_at": now,
        "expires_at": expires_at,
    }


def _quantile(values: Sequence[float], q: float) -> str:
    if not values:
        return "-"
    return f"{values[min(len(values) - 1, int(q * len(values)))]:.2f}"


def _print_table(results: dict[str, dict[str, str]], sizes: dict[str, Any]) -> None:
    backends = list(results)
    head = ["measure", *backends, "target"]
    rows = [
        [name, *(results[b].get(name, "-") for b in backends), goal]
        for name, goal in TARGETS.items()
    ]
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    print(
        f"request lifecycle: (a) {sizes['requests']:,} requests; "
        f"(b) {sizes['grants']:,} grants expiring over {sizes['window']:.0f} s"
    )
    for row in [head, ["-" * w for w in widths], *rows]:
        print("  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
