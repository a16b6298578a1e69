"""The schema version stored in the graph and the forward migrations run at open."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from graph import GraphStore, SchemaTooNew, SetProps, open_store
from graph import migrations as migrations_module
from graph.migrations import MIGRATIONS, latest
from tests.contract._graph import snapshot, user


@pytest.fixture
def url(graph_url: str) -> Iterator[str]:
    """`graph_url`, put back at the latest version afterwards (Neo4j is shared by tests)."""
    yield graph_url
    store = open_store(graph_url, run_migrations=False)
    try:
        store.set_schema_version(latest())
    finally:
        store.close()


def _set_version(url: str, version: int) -> None:
    store = open_store(url, run_migrations=False)
    try:
        store.set_schema_version(version)
    finally:
        store.close()


def test_opening_a_graph_records_the_latest_version(url: str) -> None:
    store = open_store(url)
    try:
        assert store.schema_version() == latest()
        store.clear()
        assert store.schema_version() == latest()  # clearing data keeps the version
    finally:
        store.close()


def test_an_old_graph_is_migrated_at_open_once(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    runs: list[str] = []

    def default_role(store: GraphStore) -> None:
        runs.append("default_role")
        without = store.find_nodes("User", equals={"role": None})
        store.write([SetProps("User", n.key, {"role": "member"}) for n in without])

    store = open_store(url)
    try:
        store.write([user("alice"), user("bob", role="admin")])
    finally:
        store.close()
    newer = [*MIGRATIONS, (latest() + 1, default_role)]
    monkeypatch.setattr(migrations_module, "MIGRATIONS", newer)

    for _ in range(2):
        store = open_store(url)
        try:
            version = store.schema_version()
            roles = {n.key: n.props.get("role") for n in store.find_nodes("User")}
        finally:
            store.close()

    assert version == latest(newer)
    assert roles == {"alice": "member", "bob": "admin"}
    assert runs == ["default_role"]  # the second open found nothing to do


def test_a_graph_from_a_newer_keyturn_is_refused_and_left_alone(url: str) -> None:
    store = open_store(url)
    try:
        store.write([user("alice")])
        before = snapshot(store)
    finally:
        store.close()
    _set_version(url, latest() + 1)

    message = f"follows model version `{latest() + 1}`, but this Keyturn knows versions up to"
    with pytest.raises(SchemaTooNew, match=re.escape(message)):
        open_store(url)

    store = open_store(url, run_migrations=False)  # the refused open closed its store
    try:
        assert store.schema_version() == latest() + 1
        assert snapshot(store) == before
    finally:
        store.close()


def test_migration_versions_increase_strictly() -> None:
    versions = [version for version, _ in MIGRATIONS]

    assert versions == sorted(set(versions))
    assert versions[0] >= 1
