"""The postgresql integration's benchmark, against a real PostgreSQL the bench starts.

    .venv/bin/python -m tests.bench.bench_integrations [--quick]

(a) grant and revoke latency: the provisioner (`PostgresIntegration`) makes and drops one
    login per grant, as the broker calls it (connect as the admin, one transaction, role
    comment; revoke: NOLOGIN, end sessions, REASSIGN/DROP OWNED, DROP ROLE), N times each.
(b) discovery of 1,000 schemas holding 10,000 tables (10 each) in one database, into an
    embedded graph through `sync_integration` (resources, PART_OF, standing access, cleanup).
    Tables are not discovered (schemas are the finest resource), but they are on the server
    and its catalog is that size.

`--quick` shrinks (a) to 50 grants and (b) to 100 schemas and 1,000 tables.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from api.server import open_services
from broker import secrets as sealing
from broker.demo import DEMO_ADMIN, seed_demo
from broker.integrations._postgresql import PostgresIntegration, PostgresTarget
from broker.integrations.save_integration import save_integration
from broker.integrations.sync_integration import sync_integration
from graph import Node
from tests.support.postgres_server import Postgres, running_postgres


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    args = parser.parse_args(argv)
    grants, schemas = (50, 100) if args.quick else (500, 1_000)
    with running_postgres() as pg:
        config = {
            "host": pg.host,
            "port": pg.port,
            "database": "postgres",
            "admin_user": pg.admin,
            "admin_password": pg.password,
            "roles": {"read": "pg_read_all_data"},
        }
        grant_ms, revoke_ms = _grant_and_revoke(PostgresTarget("bench", config), grants)
        seconds = _discovery(pg, config, schemas)
    rows = [
        (f"(a) grant p50 / p99 (ms), n={grants}", _p(grant_ms), "p99 <= 100"),
        (f"(a) revoke p50 / p99 (ms), n={grants}", _p(revoke_ms), "p99 <= 100"),
        (
            f"(b) discovery of {schemas} schemas, {schemas * 10} tables (s)",
            f"{seconds:.1f}",
            "<= 30",
        ),
    ]
    width = max(len(r[0]) for r in rows)
    for name, value, target in rows:
        print(f"{name:<{width}}  {value:>14}  target {target}")


def _grant_and_revoke(target: PostgresTarget, n: int) -> tuple[list[float], list[float]]:
    provisioner = PostgresIntegration(target, clock=time.time)
    granted, revoked = [], []
    for i in range(n):
        request = Node(
            "AccessRequest", f"req_bench_{i}", {"permissions": ["read"], "duration_minutes": 30}
        )
        start = time.perf_counter()
        provisioner.grant(request)
        granted.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        provisioner.revoke(request)
        revoked.append((time.perf_counter() - start) * 1000)
    return granted, revoked


def _discovery(pg: Postgres, config: dict[str, object], schemas: int) -> float:
    with pg.connect() as admin:
        admin.execute("CREATE DATABASE big")
    with pg.connect("big") as big:
        for s in range(schemas):
            tables = "".join(f"CREATE TABLE s{s}.t{t} (id int);" for t in range(10))
            big.execute(f"CREATE SCHEMA s{s};{tables}".encode())
    sealing.forget_key()
    with tempfile.TemporaryDirectory() as folder:
        services = open_services(f"embedded:{Path(folder) / 'graph.db'}")
        try:
            seed_demo(services)
            save_integration(
                services,
                actor=DEMO_ADMIN,
                key="pg-big",
                name="Big",
                type="postgresql",
                config=config,
            )
            start = time.perf_counter()
            report = sync_integration(services, actor=DEMO_ADMIN, key="pg-big")
            seconds = time.perf_counter() - start
            assert report.schemas >= schemas, report
            return seconds
        finally:
            services.store.close()


def _p(ms: list[float]) -> str:
    cuts = statistics.quantiles(ms, n=100)
    return f"{cuts[49]:.1f} / {cuts[98]:.1f}"


if __name__ == "__main__":
    main()
