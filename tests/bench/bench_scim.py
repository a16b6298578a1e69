"""The SCIM benchmark: both graph backends side by side, one table.

    .venv/bin/python -m tests.bench.bench_scim [--quick] [--no-neo4j]

(a) Provisioning through /scim/v2 over real HTTP with 8 concurrent clients: 10,000 users
    (the first 1,000 are managers, every other user reports to one of them, sent as the
    enterprise extension's `manager`) and then 1,000 groups of 10 user members each, every
    tenth group also holding the group before it (nested). Each is one POST, as Okta and
    Entra ID send them. The figure is the wall time from the first request to the last
    response; the graph is then counted (users, groups, MEMBER_OF, REPORTS_TO).
(b) A single PATCH that removes one member (`members[value eq "..."]`), one after the
    other on distinct groups, by one client: latency p50 / p99 / max over 300 PATCHes.

`--quick` shrinks (a) to 1,000 users and 100 groups, and (b) to 100 PATCHes. On the
embedded graph each change is one SQLite commit: `--graph-dir /dev/shm` measures the
software without the disk's fsync.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from api.app import create_app
from api.server import open_services
from broker import Services, issue_api_token
from broker.demo import DEMO_ADMIN, seed_demo
from tests.support.http_server import serving

CLIENTS = 8
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
TARGETS = {
    "(a) provisioning (s)": "<= 60 (embedded)",
    "(a) requests/s": "",
    "(a) users / groups": "all",
    "(a) MEMBER_OF / REPORTS_TO": "all",
    "(b) PATCH remove p50 (ms)": "",
    "(b) PATCH remove p99 (ms)": "<= 50",
    "(b) PATCH remove max (ms)": "",
}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    parser.add_argument("--no-neo4j", action="store_true", help="measure the embedded graph only")
    parser.add_argument(
        "--graph-dir",
        help="where the embedded graph's SQLite file goes (default: a temporary folder); "
        "every SCIM change is one committed, fsynced write, so the disk sets the pace",
    )
    args = parser.parse_args(argv)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request otherwise
    users, groups, patches = (1_000, 100, 100) if args.quick else (10_000, 1_000, 300)
    results: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory(dir=args.graph_dir) as folder:
        url = f"embedded:{Path(folder) / 'graph.db'}"
        results["embedded"] = _measure(url, users, groups, patches)
    if not args.no_neo4j:
        from graph import open_store
        from tests.support.neo4j_server import running_neo4j

        with running_neo4j() as neo4j:
            wiper = open_store(neo4j)
            wiper.clear()
            wiper.close()
            results["neo4j"] = _measure(neo4j, users, groups, patches)
    _table(results)


def _measure(graph_url: str, users: int, groups: int, patches: int) -> dict[str, str]:
    services = open_services(graph_url)
    try:
        seed_demo(services)
        token = issue_api_token(services, owner=DEMO_ADMIN, name="bench", scope="scim")
        with serving(create_app(services)) as url:
            headers = {"Authorization": f"Bearer {token}"}
            clients = [
                httpx.Client(base_url=f"{url}/scim/v2", headers=headers, timeout=60)
                for _ in range(CLIENTS)
            ]
            try:
                figures = _provision(clients, users, groups)
                figures.update(_counted(services, users, groups))
                figures.update(_patch_latency(clients[0], groups, patches))
            finally:
                for client in clients:
                    client.close()
        return figures
    finally:
        services.store.close()


def _counted(services: Services, users: int, groups: int) -> dict[str, str]:
    """What the graph holds from SCIM after provisioning, against what was sent."""
    store = services.store
    made_users = sum(1 for n in store.find_nodes("User") if n.props.get("source") == "scim")
    made_groups = sum(1 for n in store.find_nodes("Group") if n.props.get("source") == "scim")
    member_of = sum(1 for e in store.edges("MEMBER_OF") if e.props.get("sync_source") == "scim")
    reports_to = len(store.edges("REPORTS_TO"))
    sent_members = groups * 10 + sum(1 for i in range(groups) if i % 10)
    managed = users - max(1, min(1_000, users // 10))
    return {
        "(a) users / groups": f"{made_users:,} / {made_groups:,} of {users:,} / {groups:,}",
        "(a) MEMBER_OF / REPORTS_TO": f"{member_of:,} / {reports_to:,} of "
        f"{sent_members:,} / {managed:,}",
    }


def _email(i: int) -> str:
    return f"user{i:05d}@bench.example"


def _user(i: int) -> dict[str, Any]:
    body: dict[str, Any] = {
        "schemas": [USER],
        "userName": _email(i),
        "name": {"givenName": "User", "familyName": f"{i:05d}"},
        "emails": [{"value": _email(i), "type": "work", "primary": True}],
        "active": True,
    }
    managers = max(1, min(1_000, _users_total[0] // 10))
    if i >= managers:
        body["schemas"] = [USER, ENTERPRISE]
        body[ENTERPRISE] = {"manager": {"value": _email(i % managers)}}
    return body


_users_total = [0]


def _group(i: int, users: int) -> dict[str, Any]:
    members = [{"value": _email((i * 10 + k) % users), "type": "User"} for k in range(10)]
    if i % 10 and i > 0:
        members.append({"value": f"group-{i - 1:04d}", "type": "Group"})
    return {"schemas": [GROUP], "displayName": f"group-{i:04d}", "members": members}


def _provision(clients: list[httpx.Client], users: int, groups: int) -> dict[str, str]:
    _users_total[0] = users
    managers = max(1, min(1_000, users // 10))
    start = time.perf_counter()
    # Managers first: a user's manager must exist when the user arrives.
    _post_all(clients, "/Users", [_user(i) for i in range(managers)])
    _post_all(clients, "/Users", [_user(i) for i in range(managers, users)])
    # Groups in waves of ten, so a nested group's member exists before it.
    for wave in range(10):
        _post_all(clients, "/Groups", [_group(i, users) for i in range(groups) if i % 10 == wave])
    took = time.perf_counter() - start
    return {
        "(a) provisioning (s)": f"{took:.1f}",
        "(a) requests/s": f"{(users + groups) / took:,.0f}",
    }


def _post_all(clients: list[httpx.Client], path: str, bodies: list[dict[str, Any]]) -> None:
    def send(index: int) -> None:
        client = clients[index % len(clients)]
        for body in bodies[index :: len(clients)]:
            answer = client.post(path, json=body)
            if answer.status_code != 201:
                raise RuntimeError(f"POST {path}: {answer.status_code} {answer.text}")

    with ThreadPoolExecutor(len(clients)) as pool:
        list(pool.map(send, range(len(clients))))


def _patch_latency(client: httpx.Client, groups: int, patches: int) -> dict[str, str]:
    took: list[float] = []
    for n in range(patches):
        group = n % groups
        member = _email((group * 10 + n // groups) % _users_total[0])
        body = {
            "schemas": [PATCH_OP],
            "Operations": [{"op": "remove", "path": f'members[value eq "{member}"]'}],
        }
        start = time.perf_counter()
        answer = client.patch(f"/Groups/group-{group:04d}", json=body)
        took.append((time.perf_counter() - start) * 1000)
        if answer.status_code != 200:
            raise RuntimeError(f"PATCH: {answer.status_code} {answer.text}")
    ordered = sorted(took)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return {
        "(b) PATCH remove p50 (ms)": f"{statistics.median(took):.1f}",
        "(b) PATCH remove p99 (ms)": f"{p99:.1f}",
        "(b) PATCH remove max (ms)": f"{ordered[-1]:.1f}",
    }


def _table(results: dict[str, dict[str, str]]) -> None:
    backends = list(results)
    rows: list[list[str]] = [["figure", *backends, "target"]]
    rows += [
        [name, *(results[b].get(name, "") for b in backends), target]
        for name, target in TARGETS.items()
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]

    def line(row: list[str]) -> str:
        return "| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + " |"

    print(line(rows[0]))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows[1:]:
        print(line(row))


if __name__ == "__main__":
    main()
