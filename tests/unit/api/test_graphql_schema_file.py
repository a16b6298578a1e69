"""schema.graphql, which the web build types itself from, is the live schema's SDL."""

from __future__ import annotations

from pathlib import Path

from api.cli import main
from api.graphql.schema import sdl

COMMITTED = Path(__file__).resolve().parents[3] / "schema.graphql"


def test_the_committed_schema_file_is_the_live_schema() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == sdl(), (
        "schema.graphql is out of date: run `keyturn schema --output schema.graphql`"
    )


def test_keyturn_schema_writes_the_sdl(tmp_path: Path) -> None:
    target = tmp_path / "schema.graphql"
    assert main(["schema", "--output", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == sdl()
    assert "type Query {" in sdl()
