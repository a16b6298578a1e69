"""`keyturn demo --size N` loads a generated enterprise whose flows the engine accepts."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.cli import main
from api.server import open_services


def test_demo_with_size_loads_a_generated_enterprise(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"embedded:{tmp_path / 'graph.db'}"
    assert main(["demo", "--graph", url, "--size", "50"]) == 0
    out = capsys.readouterr()
    assert "admin API token" in out.out
    assert "generated enterprise of 50 people" in out.err

    services = open_services(url)
    try:
        people = services.store.find_nodes("User")
        assert len(people) == 50 + 4, "the generated people plus the four demo people"
        stored_flows = services.store.find_nodes("AccessFlow")
        assert len(services.engine.flows) == len(stored_flows) > 2
    finally:
        services.store.close()
