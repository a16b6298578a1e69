"""`keyturn audit verify` and `keyturn audit export` over a real embedded graph."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from api.cli import main
from api.server import open_services
from broker import approve_request, audit, request_access
from broker.demo import DEMO_APPROVER, DEMO_GRANTEE, seed_demo
from graph import SetProps


@pytest.fixture
def graph(tmp_path: Path) -> str:
    url = f"embedded:{tmp_path / 'graph.db'}"
    services = open_services(url)
    try:
        seed_demo(services)
        key = request_access(
            services,
            requester=DEMO_GRANTEE,
            resource="pg-prod/payments",
            permissions=["read"],
            duration_minutes=60,
            justification="ticket 7",
        ).key
        approve_request(services, approver=DEMO_APPROVER, request=key)
    finally:
        services.store.close()
    return url


def test_verify_passes_on_an_untouched_log(graph: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "verify", "--graph", graph]) == 0
    assert "intact: 6 event(s) verified" in capsys.readouterr().out


def test_verify_exits_1_naming_the_edited_event(
    graph: str, capsys: pytest.CaptureFixture[str]
) -> None:
    services = open_services(graph)
    try:
        services.store.write([SetProps("AuditEvent", audit.event_key(4), {"actor": "mallory"})])
    finally:
        services.store.close()
    assert main(["audit", "verify", "--graph", graph]) == 1
    err = capsys.readouterr().err
    assert "event #4 (`request.approved` by `mallory`) was edited" in err


def test_export_filters_by_kind_and_actor(graph: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "export", "--graph", graph, "--format", "json", "--kind", "grant"]) == 0
    kinds = [e["kind"] for e in json.loads(capsys.readouterr().out)]
    assert kinds == ["grant.started", "grant.granted"]
    argv = ["audit", "export", "--graph", graph, "--format", "csv", "--actor", DEMO_APPROVER]
    assert main(argv) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["kind"] for r in rows] == ["request.approved"]


def test_export_time_range(graph: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["audit", "export", "--graph", graph, "--until", "2000-01-01T00:00Z"]
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["audit", "export", "--graph", graph, "--since", "2000-01-01"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 6


def test_export_refuses_a_bad_time(graph: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "export", "--graph", graph, "--since", "yesterday"]) == 2
    assert "--since `yesterday` is not an ISO 8601 time" in capsys.readouterr().err
