"""A live Keyturn over HTTP with the demo organisation, on each graph backend."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from api.app import create_app
from api.server import open_services
from broker import Services, issue_api_token
from broker.demo import DEMO_ADMIN, DEMO_APPROVER, DEMO_AUDITOR, DEMO_GRANTEE, seed_demo
from broker.outbound import ALLOW_PRIVATE_ENV
from tests.support.clock import ManualClock
from tests.support.http_server import GraphQLClient, serving


@dataclass
class LiveKeyturn:
    services: Services
    clock: ManualClock
    base_url: str
    admin: GraphQLClient
    approver: GraphQLClient
    grantee: GraphQLClient
    auditor: GraphQLClient
    anonymous: GraphQLClient


@pytest.fixture
def live(graph_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveKeyturn]:
    # The tests' webhook receivers listen on loopback, a private target Keyturn refuses
    # unless told otherwise; set before open_services, which reads it.
    monkeypatch.setenv(ALLOW_PRIVATE_ENV, "1")
    services = open_services(graph_url)
    clock = ManualClock()
    services.clock = clock
    seed_demo(services)
    tokens = {
        who: issue_api_token(services, owner=who, name="e2e")
        for who in (DEMO_ADMIN, DEMO_APPROVER, DEMO_GRANTEE, DEMO_AUDITOR)
    }
    try:
        with serving(create_app(services, expiry_interval=0.05)) as url:
            clients = [GraphQLClient(url, tokens[w]) for w in tokens]
            anonymous = GraphQLClient(url, None)
            yield LiveKeyturn(services, clock, url, *clients, anonymous)
            for client in (*clients, anonymous):
                client.close()
    finally:
        services.store.close()
