"""Two Keyturn processes sharing one Neo4j: one revokes a grant while the other's expiry pass
takes it. Exactly one ends it, once. Neo4j only: an embedded graph has one process."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.server import open_services
from broker import Services, audit
from broker.demo import seed_demo
from graph import SetProps
from tests.support.grants_lab import access_keys, add_lab, ask, state_of
from tests.support.processes import race

_WORKER = """
from broker import StateConflict, expire_due_grants
from broker.demo import DEMO_ADMIN
from broker.grants.revoke_grant import revoke_grant

url, role, key, go = sys.argv[1:5]
services = opened_and_started(url, go)
try:
    if role == "revoke":
        revoke_grant(services, actor=DEMO_ADMIN, request=key)
        print("revoked", flush=True)
    else:
        print("expired" if key in expire_due_grants(services) else "skipped", flush=True)
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
    add_lab(services)
    try:
        yield services
    finally:
        services.store.close()


def _race(url: str, key: str, go: Path) -> list[str]:
    return race(_WORKER, [[url, role, key, str(go)] for role in ("revoke", "expire")], go)


def test_a_revoke_and_an_expiry_in_two_processes_end_the_grant_once(
    shared: Services, neo4j_url: str, tmp_path: Path
) -> None:
    key = ask(shared, minutes=5).key
    due = time.time() - 1  # the worker processes run on the real clock
    shared.store.write([SetProps("AccessRequest", key, {"expires_at": due})])
    outcomes = _race(neo4j_url, key, tmp_path / "go")
    assert outcomes in (["conflict", "expired"], ["revoked", "skipped"]), outcomes
    assert state_of(shared, key) in ("EXPIRED", "REVOKED")
    ends = [
        e.kind
        for e in audit.read_events(shared.store)
        if e.subject == key and e.kind in ("grant.revoked", "grant.expired")
    ]
    assert len(ends) == 1, ends
    assert access_keys(shared) == []
