"""`keyturn serve` as a process: stop it, start it again, and nothing is lost."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support.http_server import GraphQLClient, free_port

TOKEN_LINE = re.compile(r"admin API token \(shown once, stored hashed\): (kt_\S+)")


REPO = Path(__file__).resolve().parents[2]


@contextmanager
def _keyturn_serve(graph_url: str, port: int, log: Path) -> Iterator[str]:
    paths = [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {
        **os.environ,
        "KEYTURN_GRAPH": graph_url,
        "KEYTURN_PORT": str(port),
        "PYTHONPATH": os.pathsep.join(paths),
    }
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--demo"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=log.parent,  # its ./var (sealing key, mail outbox) stays out of the checkout
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.send_signal(signal.SIGTERM)
        # uvicorn shuts down gracefully, then re-raises SIGTERM so the exit status tells it
        assert proc.wait(timeout=30) in (0, -signal.SIGTERM), log.read_text()
        assert "Finished server process" in log.read_text().splitlines()[-1], log.read_text()


def test_restart_keeps_requests_and_grants(graph_url: str, tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    port = free_port()
    with _keyturn_serve(graph_url, port, log) as url:
        match = TOKEN_LINE.search(log.read_text())
        assert match, log.read_text()
        admin = GraphQLClient(url, match.group(1))
        granted = admin.data(
            """mutation { createAccessFlow(flow: {key: "admins-orders", name: "Admins read",
                 requestorUsers: ["ada@acme.example"], resources: ["pg-prod/orders"]}) { key } }"""
        )
        assert granted["createAccessFlow"]["key"] == "admins-orders"
        asked = admin.data(
            """mutation { requestAccess(request: {resource: "pg-prod/orders",
                 durationMinutes: 30}) { id state } }"""
        )["requestAccess"]
        assert asked["state"] == "GRANTED"
        admin.close()

    with _keyturn_serve(graph_url, port, log) as url:
        text = log.read_text()
        assert len(TOKEN_LINE.findall(text)) == 1, "the bootstrap token is printed only once"
        admin = GraphQLClient(url, TOKEN_LINE.findall(text)[0])
        assert admin.data("{ myRequests { id state } }")["myRequests"] == [asked]
        assert admin.data("{ activeGrants { id } }")["activeGrants"] == [{"id": asked["id"]}]
        admin.close()
