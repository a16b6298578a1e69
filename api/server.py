"""Wires a running Keyturn: graph, policy engine, stored flows, first admin."""

from __future__ import annotations

import os

from broker import (
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

DEFAULT_ADMIN = "admin@keyturn.local"


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
    return [
        f"first admin: {admin}",
        f"admin password (shown once, stored hashed): {password}",
        "sign in with it at POST /auth/login",
        f"admin API token (shown once, stored hashed): {token}",
        "use it as `Authorization: Bearer <token>` on /graphql",
    ]
