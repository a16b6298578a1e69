"""The broker over a real graph (each backend) with the demo organisation and a hand clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from api.server import open_services
from broker import Services
from broker.demo import seed_demo
from tests.support.clock import ManualClock


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
