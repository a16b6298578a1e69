"""`keyturn demo --size N --export-csv DIR` writes the importer's CSV files and its command."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.cli import main


def test_export_csv_writes_the_files_and_prints_the_import_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "csv"
    assert main(["demo", "--size", "50", "--export-csv", str(target)]) == 0
    out = capsys.readouterr().out
    assert (target / "nodes-User.csv").read_text().count("\n") == 51, "a header and 50 people"
    assert (target / "relationships-MEMBER_OF-User-Group.csv").exists()
    command = next(line.strip() for line in out.splitlines() if "neo4j-admin" in line)
    assert command.startswith("neo4j-admin database import full neo4j --array-delimiter=U+001F")
    assert f"--nodes={target / 'nodes-User.csv'}" in command.split()


def test_export_csv_refuses_a_directory_holding_an_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--size", "20", "--export-csv", str(tmp_path)]) == 0
    assert main(["demo", "--size", "20", "--export-csv", str(tmp_path)]) == 2
    assert "already holds an export" in capsys.readouterr().err


def test_export_csv_needs_a_size(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--export-csv", str(tmp_path)]) == 2
    assert "needs --size N" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
