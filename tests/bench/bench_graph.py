"""The access-graph benchmark: both backends side by side on one synthetic enterprise.

    .venv/bin/python -m tests.bench.bench_graph [--users N] [--samples N] [--seed N]

Imports the enterprise of graph.synthetic into the embedded graph and into a throwaway
Neo4j (tests/neo4j/run.sh; KEYTURN_NEO4J_JAVA_OPTS defaults to a 4 GiB heap here), then
times start-up and the analyses on the same sampled users and resources. The embedded
start-up, queries and memory are measured in a fresh child process, so the generator's
data does not count towards its resident memory.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from graph import GraphStore, NodeRef, WriteOp, open_store
from graph.synthetic import NOW, generate

WARM_UP = 200  # queries of each kind before the timed ones
PAGE_CACHE = "2g"  # room for the whole store at 100k people, as a production Neo4j has

TARGETS = {
    "import (items/s)": ">= 50,000 (neo4j)",
    "import, second half (items/s)": "",
    "import (items/cpu-s)": "",
    "bulk import (items/s)": ">= 50,000 (neo4j)",
    "start-up load (s)": "<= 20 (embedded)",
    "start-up load (cpu s)": "",
    "effective_access p50 (ms)": "<= 20",
    "effective_access p99 (ms)": "<= 100",
    "effective_access p99 (cpu ms)": "",
    "who_can_access p50 (ms)": "<= 50",
    "who_can_access p99 (ms)": "<= 250",
    "who_can_access p99 (cpu ms)": "",
    "access_paths p99 (ms)": "<= 250",
    "resident memory (MiB)": "<= 4096 (embedded)",
}
"""The (cpu) rows count CPU seconds instead of wall-clock ones, the figure a quiet machine
reaches: on a shared machine the wall figures also count other processes' use of the
cores. Import: this process's CPU plus the Neo4j server's (read over JMX); start-up and
latencies: this process's CPU, so for Neo4j the latencies have no cpu figure.
"import" is the online path (import_batches over Bolt, what a sync uses); "bulk import"
is a first load through Neo4j's offline importer, see _bulk_import_rate."""


# Neo4j's JVM as a deployment would run it: both JIT compilers, a heap with room, a
# throughput collector (run.sh's defaults are for a quick start in tests).
BENCH_NEO4J_JAVA_OPTS = "-Xmx4g -XX:+UseParallelGC"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-neo4j", action="store_true", help="measure the embedded graph only")
    parser.add_argument("--measure-embedded", help=argparse.SUPPRESS)  # the child's mode
    args = parser.parse_args(argv)
    if args.measure_embedded:
        print(json.dumps(_measure_embedded(args.measure_embedded, args)))
        return
    os.environ.setdefault("KEYTURN_NEO4J_JAVA_OPTS", BENCH_NEO4J_JAVA_OPTS)
    from tests.support.neo4j_server import running_neo4j

    print(f"generating {args.users:,} users (seed {args.seed}) ...", file=sys.stderr)
    batches = list(generate(args.users, args.seed))
    items = sum(len(batch) for batch in batches)
    results: dict[str, dict[str, str]] = {"embedded": {}, "neo4j": {}}
    with tempfile.TemporaryDirectory() as scratch:
        path = str(Path(scratch) / "graph.db")
        embedded = open_store(f"embedded:{path}")
        results["embedded"].update(_import_rate(embedded, batches, items))
        embedded.close()
        del batches
        child = subprocess.run(
            [
                sys.executable,
                "-m",
                "tests.bench.bench_graph",
                "--measure-embedded",
                path,
                f"--users={args.users}",
                f"--samples={args.samples}",
                f"--seed={args.seed}",
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        results["embedded"].update(json.loads(child.stdout))
        if args.no_neo4j:
            _print_table(args.users, items, results)
            return
        with running_neo4j(page_cache=PAGE_CACHE) as url:
            neo4j = open_store(url)
            print("importing into neo4j ...", file=sys.stderr)
            batches = list(generate(args.users, args.seed))
            results["neo4j"].update(_import_rate(neo4j, batches, items, _neo4j_cpu(url)))
            del batches
            results["neo4j"].update(_measure_queries(neo4j, args, cpu=False))
            neo4j.close()
        results["neo4j"].update(_bulk_import_rate(args, items, Path(scratch) / "csv"))
    _print_table(args.users, items, results)


def _import_rate(
    store: GraphStore,
    batches: list[list[WriteOp]],
    items: int,
    server_cpu: Callable[[], float] = lambda: 0.0,
) -> dict[str, str]:
    # When the second half started: a fresh JVM spends the first part compiling Cypher's
    # generated code, so the second half shows a long-running server's pace.
    halfway: list[tuple[float, int]] = []

    def progress(written: int) -> None:
        if not halfway and written >= items // 2:
            halfway.append((time.perf_counter(), written))

    started, cpu, server = time.perf_counter(), time.process_time(), server_cpu()
    store.import_batches(batches, progress)
    ended = time.perf_counter()
    spent = time.process_time() - cpu + server_cpu() - server
    (half_started, half_written), *_ = halfway
    return {
        "import (items/s)": f"{items / (ended - started):,.0f}",
        "import, second half (items/s)": f"{(items - half_written) / (ended - half_started):,.0f}",
        "import (items/cpu-s)": f"{items / spent:,.0f}",
    }


def _bulk_import_rate(args: argparse.Namespace, items: int, directory: Path) -> dict[str, str]:
    """Items per second of a first load through Neo4j's offline importer, counting: writing
    the CSV files (graph.neo4j._bulk, from batches already generated in memory), the
    importer's own run (as the launcher reports it: not the JVM's or Neo4j's start around
    it) and Keyturn's start-up on the imported store (open_store: key constraints, indexes,
    schema version, which the importer leaves to it)."""
    import re

    from graph.neo4j._bulk import write_csv
    from tests.support.neo4j_server import running_neo4j

    batches = list(generate(args.users, args.seed))
    print("writing the csv files ...", file=sys.stderr)
    started = time.perf_counter()
    write_csv(batches, directory)
    written = time.perf_counter() - started
    del batches
    print("importing them (neo4j-admin import) ...", file=sys.stderr)
    with (
        tempfile.TemporaryFile() as log,
        running_neo4j(import_dir=str(directory), log=log, page_cache=PAGE_CACHE) as url,
    ):
        started = time.perf_counter()
        open_store(url).close()
        opened = time.perf_counter() - started
        log.seek(0)
        took = re.search(rb"neo4j import took (\d+) ms", log.read())
    assert took is not None, "the launcher reports the import's time"
    imported = int(took.group(1)) / 1000
    total = written + imported + opened
    split = f"csv {written:.1f} s + import {imported:.1f} s + start-up {opened:.1f} s"
    return {"bulk import (items/s)": f"{items / total:,.0f} ({split})"}


def _neo4j_cpu(url: str) -> Callable[[], float]:
    """The Neo4j server process's CPU seconds so far, from its JVM over JMX (a procedure
    auditors' raw queries may not call, so through a driver of its own)."""
    from urllib.parse import unquote, urlsplit

    from neo4j import GraphDatabase

    parts = urlsplit(url)
    auth = (unquote(parts.username or ""), unquote(parts.password or ""))
    address = f"{parts.scheme}://{parts.hostname}:{parts.port}"
    query = (
        "CALL dbms.queryJmx('java.lang:type=OperatingSystem') YIELD attributes "
        "RETURN attributes.ProcessCpuTime.value AS ns"
    )

    def read() -> float:
        with GraphDatabase.driver(address, auth=auth) as driver:
            records, _, _ = driver.execute_query(query)
        return float(records[0]["ns"]) / 1e9

    return read


def _measure_embedded(path: str, args: argparse.Namespace) -> dict[str, str]:
    started, cpu = time.perf_counter(), time.process_time()
    store = open_store(f"embedded:{path}")
    figures = {
        "start-up load (s)": f"{time.perf_counter() - started:.1f}",
        "start-up load (cpu s)": f"{time.process_time() - cpu:.1f}",
    }
    figures["resident memory (MiB)"] = f"{_peak_resident_mib():,.0f}"
    figures.update(_measure_queries(store, args))
    store.close()
    return figures


def _measure_queries(
    store: GraphStore, args: argparse.Namespace, *, cpu: bool = True
) -> dict[str, str]:
    rng = random.Random(args.seed + 1)
    users = [NodeRef("User", f"u{rng.randrange(args.users)}") for _ in range(args.samples)]
    resources = [NodeRef("Resource", f"r{rng.randrange(args.users)}") for _ in range(args.samples)]
    # Warm up on people and resources drawn after the measured ones: a running server has
    # compiled its queries (Neo4j's JIT takes a few hundred) but not cached these answers.
    for _ in range(WARM_UP):
        store.effective_access(NodeRef("User", f"u{rng.randrange(args.users)}"), NOW)
        store.who_can_access(NodeRef("Resource", f"r{rng.randrange(args.users)}"), NOW)
    figures: dict[str, str] = {}
    reached: list[tuple[NodeRef, NodeRef]] = []

    def effective(user: NodeRef) -> None:
        accesses = store.effective_access(user, NOW)
        if accesses:
            reached.append((user, accesses[len(accesses) // 2].resource))

    figures.update(_latency("effective_access", effective, users, cpu))
    who = _latency("who_can_access", lambda r: store.who_can_access(r, NOW), resources, cpu)
    figures.update(who)
    paths = _latency("access_paths", lambda p: store.access_paths(p[0], p[1], 6), reached)
    figures["access_paths p99 (ms)"] = paths["access_paths p99 (ms)"]
    return figures


def _latency(
    name: str, call: Callable[[Any], object], samples: Sequence[Any], cpu: bool = False
) -> dict[str, str]:
    timings: list[float] = []
    cpu_timings: list[float] = []
    for sample in samples:
        started, cpu_started = time.perf_counter(), time.process_time()
        call(sample)
        timings.append((time.perf_counter() - started) * 1000)
        cpu_timings.append((time.process_time() - cpu_started) * 1000)
    if len(timings) < 2:
        return {f"{name} p50 (ms)": "n/a", f"{name} p99 (ms)": "n/a"}
    cuts = statistics.quantiles(timings, n=100, method="inclusive")
    figures = {f"{name} p50 (ms)": f"{cuts[49]:.1f}", f"{name} p99 (ms)": f"{cuts[98]:.1f}"}
    if cpu:
        cpu_cuts = statistics.quantiles(cpu_timings, n=100, method="inclusive")
        figures[f"{name} p99 (cpu ms)"] = f"{cpu_cuts[98]:.1f}"
    return figures


def _peak_resident_mib() -> float:
    """The process's peak resident set (VmHWM) from /proc, in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _print_table(users: int, items: int, results: dict[str, dict[str, str]]) -> None:
    print(f"\naccess graph: {users:,} users, {items:,} items (nodes + edges)\n")
    header = ("metric", "embedded", "neo4j", "target")
    rows = [
        header,
        *((m, *(results[b].get(m, "-") for b in results), t) for m, t in TARGETS.items()),
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for n, row in enumerate(rows):
        print("| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + " |")
        if n == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


if __name__ == "__main__":
    main()
