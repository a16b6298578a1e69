"""Fixtures shared by every test: the graph backends, each test run against both."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph import GraphStore, open_store

GRAPH_BACKENDS = ("embedded", "neo4j")


@pytest.fixture(scope="session")
def neo4j_url() -> Iterator[str]:
    """A real Neo4j: the one KEYTURN_TEST_NEO4J_URL names, else the repo's launcher."""
    given = os.environ.get("KEYTURN_TEST_NEO4J_URL")
    if given:
        yield given
        return
    from tests.support.neo4j_server import running_neo4j

    with running_neo4j() as url:
        yield url


@pytest.fixture(params=GRAPH_BACKENDS)
def graph_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty graph, once per backend."""
    if request.param == "embedded":
        return f"embedded:{tmp_path / 'graph.db'}"
    url: str = request.getfixturevalue("neo4j_url")
    wiper = open_store(url)
    try:
        wiper.clear()
    finally:
        wiper.close()
    return url


@pytest.fixture
def store(graph_url: str) -> Iterator[GraphStore]:
    opened = open_store(graph_url)
    try:
        yield opened
    finally:
        opened.close()
