"""The access log: one line per request with its status, written soon and in batches, and
no secret from a path or a query string in it."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from api import access_log
from api.access_log import FLUSH_SECONDS, AccessLog


def _scope(path: str, query: bytes = b"", method: str = "GET") -> dict[str, Any]:
    return {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": query,
        "http_version": "1.1",
        "client": ("10.0.0.7", 51234),
    }


async def _answered(status: int, scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": status, "headers": []})
    await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _serve(log: AccessLog, scope: dict[str, Any], status: int = 200) -> list[Any]:
    sent: list[Any] = []

    async def send(message: Any) -> None:
        sent.append(message)

    async def app(s: Any, r: Any, snd: Any) -> None:
        await _answered(status, s, r, snd)

    await log.serve(app, scope, None, send)
    return sent


def test_each_request_is_one_line_with_its_status_written_within_the_flush_delay(
    capsys: pytest.CaptureFixture[str],
) -> None:
    async def run() -> list[Any]:
        log = AccessLog()
        sent = await _serve(log, _scope("/graphql", method="POST"))
        await _serve(log, _scope("/nowhere"), status=404)
        assert capsys.readouterr().out == ""  # kept for the batch
        await asyncio.sleep(FLUSH_SECONDS + 0.2)
        return sent

    sent = asyncio.run(run())
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    first, second = capsys.readouterr().out.splitlines()
    assert re.fullmatch(
        r'\d{4}-\d\d-\d\d \d\d:\d\d:\d\d 10\.0\.0\.7:51234 - "POST /graphql HTTP/1\.1" 200 '
        r"\d+\.\d ms",
        first,
    ), first
    assert ' 10.0.0.7:51234 - "GET /nowhere HTTP/1.1" 404 ' in second


def test_a_full_batch_is_written_at_once(capsys: pytest.CaptureFixture[str]) -> None:
    async def run() -> None:
        log = AccessLog()
        for _ in range(access_log._FLUSH_LINES):
            await _serve(log, _scope("/healthz"))
        assert len(capsys.readouterr().out.splitlines()) == access_log._FLUSH_LINES

    asyncio.run(run())


def test_a_request_that_fails_is_logged_without_a_status(
    capsys: pytest.CaptureFixture[str],
) -> None:
    async def run() -> None:
        log = AccessLog()

        async def broken(scope: Any, receive: Any, send: Any) -> None:
            raise RuntimeError("boom")

        with pytest.raises(RuntimeError):
            await log.serve(broken, _scope("/boom"), None, None)
        log.flush()

    asyncio.run(run())
    assert '"GET /boom HTTP/1.1" - ' in capsys.readouterr().out


@pytest.mark.parametrize(
    ("path", "query", "shown"),
    [
        ("/invite/tok3n-S3CRET", b"", "/invite/…"),
        ("/reset/tok3n-S3CRET", b"", "/reset/…"),
        ("/l/tok3n-S3CRET/more", b"", "/l/…/more"),
        ("/auth/oidc/callback", b"code=S3CRET&state=S3CRET2", "/auth/oidc/callback?code=…&state=…"),
        ("/audit/report.csv", b"from=2026-01-01", "/audit/report.csv?from=…"),
        ("/requests/r-1", b"", "/requests/r-1"),
        ("/invite/", b"", "/invite/"),
    ],
)
def test_secrets_in_paths_and_query_values_never_reach_the_log(
    path: str, query: bytes, shown: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async def run() -> None:
        log = AccessLog()
        await _serve(log, _scope(path, query))
        log.flush()

    asyncio.run(run())
    out = capsys.readouterr().out
    assert f'"GET {shown} HTTP/1.1" 200' in out
    assert "S3CRET" not in out


def test_a_line_break_in_a_path_cannot_forge_a_log_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    async def run() -> None:
        log = AccessLog()
        await _serve(log, _scope('/x\n127.0.0.1 - "GET /admin HTTP/1.1" 200'))
        log.flush()

    asyncio.run(run())
    (line,) = capsys.readouterr().out.splitlines()
    assert "/x\\x0a127.0.0.1" in line
