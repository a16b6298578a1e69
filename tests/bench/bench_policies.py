"""Decision latency of the policy engine at 10 to 10,000 access flows, sliced and unsliced.

    .venv/bin/python -m tests.bench.bench_policies          # the full table
    .venv/bin/python -m tests.bench.bench_policies --quick  # a smoke run
    .venv/bin/python -m tests.bench.bench_policies --cpu    # CPU time, on a busy machine

The organisation, flows and requests are made here from a fixed seed: 100,000 users in
nested groups, integrations holding resources (some nested), flows granting groups or
users access to integrations and resources. Each request arrives "with entities in hand"
(a DecisionRequest as the broker builds it from one graph query: every group the person is
in, nested ones included), so the figures include turning it into Cedar entities, but not
the graph fetch.

Columns (milliseconds): sliced p50/p99 in steady state (slices merged and cached, every
requester new, so entities are parsed each time); cold p99 with every cache empty (first
decision on each resource: its slices evaluated one by one, unmerged); batch, the mean per
request of `decide_batch` for 50 resources at a time; unsliced p50/p99 with the whole policy
set given to every decision.

A second table times the whole path from the graph: the generated enterprise of
`graph.synthetic` (100,000 people; `--graph-users`) in an embedded store, written once to a
cached file and loaded; then per request `identity_context`, `resource_context` and the
broker's `decide_request`, with the flows of each size over that graph, sliced beside
unsliced.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from broker.requests._decide import decide_request
from broker.services import Services
from graph import GraphStore, NodeRef, open_store
from graph.synthetic import NOW, Shape, load_synthetic
from policies.engine import PolicyEngine
from policies.entities import DecisionRequest, Principal, RequestContext, Resource
from policies.flows import AccessFlow

SEED = 20261126
USERS = 100_000
GROUPS = 400
SIZES = (10, 100, 1_000, 10_000)
# What the decision columns measure: wall time, or with `--cpu` this process's CPU time,
# which other work on a shared machine disturbs far less.
_clock = time.perf_counter


@dataclass(frozen=True)
class _Org:
    group_parents: dict[str, tuple[str, ...]]
    resources: tuple[Resource, ...]


def _org(rng: random.Random, integrations: int) -> _Org:
    # Every group but the first ten sits inside one of the groups made before it.
    parents = {f"g{n}": (f"g{rng.randrange(n)}",) for n in range(10, GROUPS)}
    resources: list[Resource] = []
    for i in range(integrations):
        integration = ("Integration", f"int{i}")
        resources.append(Resource(f"int{i}", kind="Integration"))
        for r in range(8):
            db = Resource(f"int{i}/db{r}", ancestors=(integration,), tags=_tags(rng))
            resources.append(db)
            chain = (("Resource", db.key), integration)
            resources.append(Resource(f"{db.key}/t0", ancestors=chain, tags=_tags(rng)))
    return _Org(parents, tuple(resources))


def _tags(rng: random.Random) -> frozenset[str]:
    return frozenset(rng.sample(("pii", "pci", "prod", "staging", "eu"), rng.randrange(3)))


def _flows(rng: random.Random, count: int, org: _Org) -> list[AccessFlow]:
    flows = []
    for n in range(count):
        targets = rng.sample(org.resources, rng.randint(1, 2))
        flows.append(
            AccessFlow(
                key=f"flow-{n}",
                name=f"Flow {n}",
                requestor_groups=tuple(
                    f"g{rng.randrange(GROUPS)}" for _ in range(rng.randint(1, 3))
                ),
                requestor_users=tuple(f"u{rng.randrange(USERS)}" for _ in range(rng.randint(0, 1))),
                integrations=tuple(t.key for t in targets if t.kind == "Integration"),
                resources=tuple(t.key for t in targets if t.kind == "Resource"),
                permissions=tuple(rng.sample(("read", "write", "admin"), rng.randint(1, 2))),
                max_duration_minutes=rng.choice((60, 240, 480)),
                justification_required=rng.random() < 0.5,
                enabled=rng.random() < 0.95,
            )
        )
    return flows


def _requests(
    rng: random.Random, count: int, org: _Org, flows: Sequence[AccessFlow]
) -> list[DecisionRequest]:
    by_key = {r.key: r for r in org.resources}
    requests = []
    for _ in range(count):
        user = f"u{rng.randrange(USERS)}"
        groups = {f"g{rng.randrange(GROUPS)}" for _ in range(rng.randint(1, 3))}
        resource = rng.choice(org.resources)
        if rng.random() < 0.5:  # aim at a flow, so about half the requests are allowed
            flow = rng.choice(flows)
            groups.add(rng.choice(flow.requestor_groups))
            resource = by_key[rng.choice((*flow.integrations, *flow.resources))]
        closed = Principal(user, "", groups=frozenset(groups), group_parents=org.group_parents)
        principal = Principal(user, f"{user}@corp.example", groups=closed.all_groups())
        context = RequestContext(
            "portal", ("read",), rng.choice((30, 60, 240)), rng.choice(("", "incident"))
        )
        requests.append(DecisionRequest(principal, resource, context))
    return requests


def _timings(
    decide: Callable[[DecisionRequest], object], requests: Sequence[DecisionRequest]
) -> tuple[float, float]:
    """p50 and p99 in milliseconds of `decide` over `requests`."""
    timings = []
    for request in requests:
        start = _clock()
        decide(request)
        timings.append(_clock() - start)
    cuts = statistics.quantiles(timings, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[98] * 1000


def _strangers(requests: Sequence[DecisionRequest]) -> list[DecisionRequest]:
    """The same requests from people never seen before: no cached entities to reuse."""
    return [
        replace(r, principal=replace(r.principal, key=f"{r.principal.key}-b")) for r in requests
    ]


def _measure(
    engine: PolicyEngine, requests: Sequence[DecisionRequest]
) -> tuple[float, float, float]:
    """Cold p99 (first decision on each resource: slices unmerged, entities parsed), then
    steady p50 and p99 (slices merged and cached, every principal new)."""
    _, cold99 = _timings(engine.decide, requests)
    steady50, steady99 = _timings(engine.decide, _strangers(requests))
    return cold99, steady50, steady99


def _batch_per_request(engine: PolicyEngine, requests: Sequence[DecisionRequest]) -> float:
    """Milliseconds per request of "what can I request": one person, 50 resources a call."""
    people = _strangers(requests[:20])
    lists = [[replace(r, principal=p.principal) for r in requests[:50]] for p in people]
    start = time.perf_counter()
    for batch in lists:
        engine.decide_batch(batch)
    return (time.perf_counter() - start) * 1000 / sum(len(batch) for batch in lists)


_HEADER = (
    f"{'flows':>6} {'policies':>8} {'load s':>6} | {'sliced p50':>10} {'p99':>6} "
    f"{'cold p99':>8} {'batch':>6} | {'unsliced p50':>12} {'p99':>7} | {'allowed':>7}"
)


# --- the whole path: entities fetched from the embedded graph -----------------------------


def _open_graph(users: int, seed: int) -> GraphStore:
    """The synthetic enterprise in an embedded store, imported once into a cached file."""
    folder = Path(tempfile.gettempdir()) / "keyturn-bench"
    folder.mkdir(exist_ok=True)
    path = folder / f"policies-{users}-{seed}.db"
    ready = folder / f"{path.name}.ready"  # written after a complete import only
    if not ready.exists():
        path.unlink(missing_ok=True)
        started = time.perf_counter()
        store = open_store(f"embedded:{path}")
        load_synthetic(store, users, seed)
        ready.write_text("")
        print(f"imported {users:,} people in {time.perf_counter() - started:.0f} s")
        return store
    started = time.perf_counter()
    store = open_store(f"embedded:{path}")
    print(f"loaded {users:,} people in {time.perf_counter() - started:.0f} s")
    return store


def _graph_flows(rng: random.Random, count: int, shape: Shape) -> list[AccessFlow]:
    """`count` flows over the synthetic graph's groups, integrations and resources."""
    flows = []
    for n in range(count):
        on_integration = rng.random() < 0.1
        flows.append(
            AccessFlow(
                key=f"flow-{n}",
                name=f"Flow {n}",
                requestor_groups=tuple(
                    f"g{rng.randrange(shape.groups)}" for _ in range(rng.randint(1, 3))
                ),
                integrations=(f"i{rng.randrange(shape.integrations)}",) if on_integration else (),
                resources=()
                if on_integration
                else tuple(f"r{rng.randrange(shape.resources)}" for _ in range(rng.randint(1, 2))),
                permissions=("read",),
                max_duration_minutes=240,
                justification_required=rng.random() < 0.5,
            )
        )
    return flows


def _fetch_and_decide(services: Services, pairs: Sequence[tuple[str, str]]) -> tuple[float, float]:
    """p50 and p99 (ms) of the broker's path: two graph reads, then the decision."""
    store = services.store

    def one(pair: tuple[str, str]) -> None:
        identity = store.identity_context(NodeRef("User", pair[0]))
        target = store.resource_context(NodeRef("Resource", pair[1]))
        decide_request(
            services,
            identity,
            target,
            permissions=("read",),
            duration_minutes=60,
            justification="incident",
            trigger="portal",
        )

    return _timings(one, pairs)


def _fetch_table(users: int, sizes: Sequence[int], samples: int) -> None:
    store = _open_graph(users, SEED)
    shape = Shape.of(users)
    print(
        f"{'flows':>6} | {'fetch+decide p50':>16} {'p99':>6} | {'unsliced p50':>12} "
        f"{'p99':>7} | {'allowed':>7}"
    )
    try:
        for size in sizes:
            rng = random.Random(SEED + size)
            flows = _graph_flows(rng, size, shape)
            resources = [r for f in flows for r in f.resources]
            pairs = [
                (
                    f"u{rng.randrange(shape.users)}",
                    rng.choice(resources)
                    if resources and rng.random() < 0.5
                    else f"r{rng.randrange(shape.resources)}",
                )
                for _ in range(samples)
            ]
            sliced = Services(store=store, engine=PolicyEngine(flows), clock=lambda: NOW)
            unsliced = Services(
                store=store, engine=PolicyEngine(flows, sliced=False), clock=lambda: NOW
            )
            _fetch_and_decide(sliced, pairs[:50])  # warm the slices' merged sets
            _fetch_and_decide(unsliced, pairs[:2])  # and parse the whole set together once
            p50, p99 = _fetch_and_decide(sliced, pairs)
            u50, u99 = _fetch_and_decide(unsliced, pairs[: max(50, samples * 100 // size)])
            allowed = sum(_allowed(sliced, pair) for pair in pairs[:200]) / min(200, len(pairs))
            print(
                f"{size:>6} | {p50:>13.3f} ms {p99:>6.3f} | {u50:>9.3f} ms {u99:>7.3f} | "
                f"{allowed:>7.0%}"
            )
            sys.stdout.flush()
    finally:
        store.close()


def _allowed(services: Services, pair: tuple[str, str]) -> bool:
    store = services.store
    return decide_request(
        services,
        store.identity_context(NodeRef("User", pair[0])),
        store.resource_context(NodeRef("Resource", pair[1])),
        permissions=("read",),
        duration_minutes=60,
        justification="incident",
        trigger="portal",
    ).allowed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="sizes 10 and 100, few samples")
    parser.add_argument("--samples", type=int, default=2000, help="decisions timed per size")
    parser.add_argument(
        "--graph-users", type=int, default=USERS, help="people in the graph of the fetch table"
    )
    parser.add_argument("--no-graph", action="store_true", help="skip the fetch table")
    parser.add_argument(
        "--cpu", action="store_true", help="time decisions in CPU time, not wall time"
    )
    args = parser.parse_args(argv)
    sizes = (10, 100) if args.quick else SIZES
    if args.cpu:
        global _clock
        _clock = time.process_time
    samples = 200 if args.quick else args.samples
    print(_HEADER)
    for size in sizes:
        rng = random.Random(SEED + size)
        org = _org(rng, max(10, size // 5))
        flows = _flows(rng, size, org)
        requests = _requests(rng, samples, org, flows)
        started = time.perf_counter()
        sliced = PolicyEngine(flows)
        loaded = time.perf_counter() - started
        unsliced = PolicyEngine(flows, sliced=False)
        checked = requests[:200]  # the two readings must agree before they are timed
        assert [sliced.decide(r) for r in checked] == [unsliced.decide(r) for r in checked]
        allowed = sum(sliced.decide(r).allowed for r in requests) / len(requests)
        _, s50, s99 = _measure(sliced, _strangers(_strangers(requests)))
        # The whole set costs ~1 ms per 250 policies: time fewer decisions at large sizes.
        _, u50, u99 = _measure(unsliced, requests[: max(50, samples * 100 // size)])
        policies = len(sliced.policy_text().split("@id(")) - 1
        cold99 = _measure(PolicyEngine(flows), requests)[0]
        batch = _batch_per_request(sliced, requests)
        print(
            f"{size:>6} {policies:>8} {loaded:>6.2f} | {s50:>7.3f} ms {s99:>6.3f} "
            f"{cold99:>8.3f} {batch:>6.3f} | {u50:>9.3f} ms {u99:>7.3f} | {allowed:>7.0%}"
        )
        sys.stdout.flush()
    if not args.no_graph:
        users = 10_000 if args.quick else args.graph_users
        print(f"\nwith the entity fetch from the embedded graph ({users:,} people):")
        _fetch_table(users, sizes, samples)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
