"""Keyturn's services on a fresh graph seeded with the demo organisation, for tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from api.server import open_services
from broker import Services
from broker.demo import seed_demo


@contextmanager
def demo_services(graph_url: str) -> Iterator[Services]:
    """Services on `graph_url` with the demo seeded; the graph is closed afterwards."""
    opened = open_services(graph_url)
    seed_demo(opened)
    try:
        yield opened
    finally:
        opened.store.close()
