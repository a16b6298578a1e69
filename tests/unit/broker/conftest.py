"""The broker over a real graph (each backend) with the demo organisation and a hand clock;
a sealing key for every test, and `wired`: the provisioner that picks each integration's."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from api.server import open_services
from broker import Services
from broker import secrets as sealing
from broker.demo import seed_demo
from broker.integrations import IntegrationProvisioner
from broker.outbound import Outbound
from tests.support.clock import ManualClock
from tests.support.grants_lab import FAST


@pytest.fixture
def services(graph_url: str) -> Iterator[Services]:
    opened = open_services(graph_url)
    opened.clock = ManualClock()
    seed_demo(opened)
    try:
        yield opened
    finally:
        opened.store.close()


@pytest.fixture
def clock(services: Services) -> ManualClock:
    assert isinstance(services.clock, ManualClock)
    return services.clock


@pytest.fixture(autouse=True)
def secret_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv(sealing.ENV_KEY, "test-key-for-sealing-0123456789")
    sealing.forget_key()
    yield
    sealing.forget_key()


@pytest.fixture
def wired(services: Services) -> Services:
    # The webhook receivers of these tests listen on loopback, a private target.
    services.outbound = Outbound(allow_private=True)
    services.provisioner = IntegrationProvisioner.for_services(services, retry=FAST)
    return services
