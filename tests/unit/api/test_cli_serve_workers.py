"""`keyturn serve --workers N`: several processes need a graph they can share, so the
embedded graph (one process, its file locked) is refused with a message saying what to do,
before anything is opened or created."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.cli import main


def test_serve_with_two_workers_on_the_embedded_graph_is_refused_and_creates_nothing(
    tmp_path: Path,
) -> None:
    graph = tmp_path / "var" / "graph.db"
    with pytest.raises(SystemExit) as refused:
        main(["serve", "--workers", "2", "--graph", f"embedded:{graph}"])
    message = str(refused.value.code)
    assert message.startswith("keyturn: --workers 2 needs Neo4j")
    assert "serve it with one worker" in message and "--graph neo4j://" in message
    assert not graph.parent.exists()


def test_serve_with_no_workers_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as refused:
        main(["serve", "--workers", "0", "--graph", f"embedded:{tmp_path / 'g.db'}"])
    assert str(refused.value.code) == "keyturn: --workers `0` must be 1 or more"
