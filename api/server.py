"""Wires a running Keyturn: graph, policy engine, stored flows, first admin, and the app
each serving process runs (one, or `--workers N` of them on Neo4j)."""

from __future__ import annotations

import dataclasses
import gc
import os
from functools import partial
from typing import TYPE_CHECKING

from broker import (
    DEMO_PEOPLE,
    IntegrationProvisioner,
    Outbound,
    Services,
    demo_is_seeded,
    issue_api_token,
    load_flows_into_engine,
    secrets,
    seed_demo,
    set_first_password,
)
from graph import UpsertNode, open_store
from policies.engine import PolicyEngine

if TYPE_CHECKING:
    from litestar import Litestar

DEFAULT_ADMIN = "admin@keyturn.local"
# What `keyturn serve --workers N` hands its worker processes (they start afresh).
WORKER_GRAPH = "KEYTURN_WORKER_GRAPH"
WORKER_PUBLIC_URL = "KEYTURN_WORKER_PUBLIC_URL"


def workers_refusal(graph_url: str, workers: int) -> str | None:
    """Why `workers` serving processes cannot serve the graph at `graph_url`, or None.

    The embedded graph is one process's memory, its file locked by that process; Neo4j is
    shared, so several processes can each take requests (each request still runs on one).
    """
    if workers < 1:
        return f"--workers `{workers}` must be 1 or more"
    if workers > 1 and graph_url.startswith("embedded:"):
        return (
            f"--workers {workers} needs Neo4j: the embedded graph lives in one process "
            "(which locks its file), so serve it with one worker, or move the graph to "
            "Neo4j (`--graph neo4j://...`) to run several"
        )
    return None


def serving_app(services: Services, *, public_url: str, expiry_interval: float) -> Litestar:
    """The app one serving process runs: mail and webhooks as the environment says (links
    pointing at `public_url`), the expiry scheduler, and the graph closed at its end.
    Raises DomainError for bad notification settings."""
    from api.app import create_app
    from broker import NotifyConfig, stored_webhooks

    notify = dataclasses.replace(NotifyConfig.from_env(os.environ), public_url=public_url)
    # stored webhooks are read from the graph by the delivery worker after each notice
    services.notifier = notify.notifier(stored_webhooks=partial(stored_webhooks, services.store))
    return create_app(
        services, expiry_interval=expiry_interval, owns_services=True, public_url=public_url
    )


def worker_app() -> Litestar:
    """One process of `keyturn serve --workers N` (uvicorn's factory, called in each)."""
    from api.config import Settings

    services = open_services(os.environ[WORKER_GRAPH])
    app = serving_app(
        services,
        public_url=os.environ[WORKER_PUBLIC_URL],
        expiry_interval=Settings.from_env().expiry_interval,
    )
    freeze_startup_heap()
    return app


def freeze_startup_heap() -> None:
    """Move what start-up built (the app, the schema, the policies, the graph) out of the
    collector's sight. Those objects live as long as the process, yet each full collection
    rescanned them all, a pause of tens of milliseconds on whichever requests it landed:
    the p99 of `{ me { email } }` at 8 clients fell from ~97 ms to ~21 ms once they were
    frozen (tests/bench/bench_api.py, embedded graph)."""
    gc.collect()
    gc.freeze()


def open_services(graph_url: str) -> Services:
    """The graph, the engine with every stored flow, the sealing key and the integrations."""
    secrets.use_key_for(graph_url)
    services = Services(
        store=open_store(graph_url),
        engine=PolicyEngine(),
        outbound=Outbound.from_env(os.environ),
    )
    # Reads the clock and notifier through `services`, so later swaps (tests, serve) apply.
    services.provisioner = IntegrationProvisioner.for_services(services)
    load_flows_into_engine(services)
    return services


def bootstrap(services: Services, *, demo: bool) -> list[str]:
    """First-start setup: the demo or a first admin, with a one-time API token.

    Returns the lines to show the operator; empty when the graph was already set up.
    """
    store = services.store
    if demo and not demo_is_seeded(services):
        admin = seed_demo(services)
    elif not store.find_nodes("User", equals={"role": "admin"}, limit=1):
        admin = os.environ.get("KEYTURN_ADMIN_EMAIL", DEFAULT_ADMIN)
        store.write(
            [
                UpsertNode(
                    "User",
                    admin,
                    {
                        "email": admin,
                        "name": "Administrator",
                        "role": "admin",
                        "created_at": services.clock(),
                    },
                )
            ]
        )
    else:
        return []
    token = issue_api_token(services, owner=admin, name="bootstrap")
    password = set_first_password(services, user=admin)
    lines = [
        f"first admin: {admin}",
        f"admin password (shown once, stored hashed): {password}",
        "sign in with it in a browser at the address below",
        f"admin API token (shown once, stored hashed): {token}",
        "use it as `Authorization: Bearer <token>` on /graphql",
    ]
    if demo:
        # The demo's other people get passwords too, so each role can be tried in a browser.
        others = [who for who in DEMO_PEOPLE if who != admin]
        lines.append("demo sign-ins (shown once, stored hashed):")
        lines += [f"  {who}  {set_first_password(services, user=who)}" for who in others]
    return lines
