"""One line per HTTP request on standard output: who, what, the status, how long.

uvicorn's own access log went through `logging` for each request, which cost about as much
CPU as answering a small GraphQL query, and it printed each path and query string whole,
so invitation, password-reset and access-link tokens and single sign-on's authorization
codes ended up in the log. Here a line is one f-string, kept in memory and written with
others at most `FLUSH_SECONDS` later (and at shutdown); a secret path segment is shown as
`…`, and of a query string only the parameter names.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

FLUSH_SECONDS = 0.5
_FLUSH_LINES = 200
# First path segments whose next segment is a secret: /invite/<token>, /reset/<token>
# (the web app's password reset page), /l/<token> (an access link).
_SECRET_AFTER = frozenset({"invite", "reset", "l"})
# Control characters (a percent-encoded line break in a path) are shown escaped, so a
# request cannot forge log lines.
_CONTROLS = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F)}

App = Callable[[Any, Any, Any], Awaitable[None]]


class AccessLog:
    """Serves each HTTP request through `app`, noting it for the log."""

    def __init__(self) -> None:
        self._lines: list[str] = []
        self._flush_due: asyncio.TimerHandle | None = None
        self._stamped_at = -1
        self._stamp_text = ""

    async def serve(self, app: App, scope: Any, receive: Any, send: Any) -> None:
        status = 0

        async def sending(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        started = time.perf_counter()
        try:
            await app(scope, receive, sending)
        finally:
            took = (time.perf_counter() - started) * 1000
            self._note(
                f"{self._stamp()} "
                f'{_client(scope)} - "{scope["method"]} {shown_path(scope)} '
                f'HTTP/{scope["http_version"]}" {status or "-"} {took:.1f} ms\n'
            )

    def _stamp(self) -> str:
        """The local time to the second, as the other log lines give it (formatted once a
        second: a request's line should cost next to nothing)."""
        now = int(time.time())
        if now != self._stamped_at:
            self._stamped_at = now
            self._stamp_text = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now))
        return self._stamp_text

    def _note(self, line: str) -> None:
        self._lines.append(line)
        if len(self._lines) >= _FLUSH_LINES:
            self.flush()
        elif self._flush_due is None:
            self._flush_due = asyncio.get_running_loop().call_later(FLUSH_SECONDS, self.flush)

    def flush(self) -> None:
        """Write what is noted (the server's shutdown calls this too)."""
        if self._flush_due is not None:
            self._flush_due.cancel()
            self._flush_due = None
        lines, self._lines = self._lines, []
        if not lines:
            return
        try:
            # Looked up now: standard output may have been replaced since start-up.
            sys.stdout.write("".join(lines))
            sys.stdout.flush()
        except (OSError, ValueError):
            pass  # nowhere to write (closed or gone): the requests were answered anyway


def shown_path(scope: Any) -> str:
    """The request's path as logged: secret segments and query values left out."""
    path: str = scope.get("path", "")
    parts = path.split("/", 3)
    if len(parts) > 2 and parts[1] in _SECRET_AFTER and parts[2]:
        parts[2] = "…"
        path = "/".join(parts)
    query: bytes = scope.get("query_string", b"")
    if query:
        names = (pair.split(b"=", 1)[0].decode("latin-1") for pair in query.split(b"&") if pair)
        path += "?" + "&".join(f"{name}=…" for name in names)
    return path.translate(_CONTROLS)


def _client(scope: Any) -> str:
    client = scope.get("client")
    return f"{client[0]}:{client[1]}" if client else "-"
