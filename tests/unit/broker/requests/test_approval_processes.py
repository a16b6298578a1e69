"""Two Keyturn processes sharing one Neo4j approve the same request at once: one grant.

Neo4j only: an embedded graph is opened by one process at a time, by design.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from api.server import open_services
from broker import Services
from broker.demo import seed_demo
from tests.support.approval_lab import GRACE, SAM, ask, grants, lab_flow, seed_lab, state
from tests.support.processes import race

_APPROVER = """
from broker import StateConflict, approve_request

url, key, who, go = sys.argv[1:5]
services = opened_and_started(url, go)
try:
    approve_request(services, approver=who, request=key)
    print("won", flush=True)
except StateConflict:
    print("conflict", flush=True)
finally:
    services.store.close()
"""


@pytest.fixture
def shared(neo4j_url: str) -> Iterator[Services]:
    services = open_services(neo4j_url)
    services.store.clear()
    seed_demo(services)
    seed_lab(services)
    try:
        yield services
    finally:
        services.store.close()


def _approve_from_processes(url: str, key: str, people: list[str], go: Path) -> list[str]:
    return race(_APPROVER, [[url, key, who, str(go)] for who in people], go)


def test_two_processes_approving_the_last_step_make_one_grant(
    shared: Services, neo4j_url: str, tmp_path: Path
) -> None:
    lab_flow(shared, approvers=(GRACE, SAM))
    key = ask(shared)
    outcomes = _approve_from_processes(neo4j_url, key, [GRACE, SAM], tmp_path / "go")
    assert outcomes == ["conflict", "won"]
    assert state(shared, key) == "GRANTED"
    assert grants(shared) == 1


def test_two_processes_approving_an_all_of_step_both_count_and_grant_once(
    shared: Services, neo4j_url: str, tmp_path: Path
) -> None:
    lab_flow(shared, approvers=(GRACE, SAM), approval_mode="all")
    key = ask(shared)
    outcomes = _approve_from_processes(neo4j_url, key, [GRACE, SAM], tmp_path / "go")
    assert outcomes == ["won", "won"]
    assert state(shared, key) == "GRANTED"
    assert grants(shared) == 1
