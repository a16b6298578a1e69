"""Runs a Keyturn app under a real uvicorn server on a free loopback port, in a thread."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import uvicorn
from litestar import Litestar


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serving(app: Litestar) -> Iterator[str]:
    """Yield the base URL while `app` serves real HTTP; shut it down afterwards."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="none")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


class GraphQLClient:
    """Posts GraphQL over HTTP as one user."""

    def __init__(self, base_url: str, token: str | None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(base_url=base_url, headers=headers, timeout=30)
        self.last_status = 0

    def call(self, query: str, **variables: Any) -> dict[str, Any]:
        """The whole response body: `data` and, when refused, `errors`.

        A caller without a valid token is answered 401 with the same GraphQL-shaped
        `errors`, so `error()` reads it like any refusal; `last_status` tells them apart.
        """
        reply = self._http.post("/graphql", json={"query": query, "variables": variables})
        self.last_status = reply.status_code
        if reply.status_code != 401:
            reply.raise_for_status()
        body: dict[str, Any] = reply.json()
        return body

    def data(self, query: str, **variables: Any) -> dict[str, Any]:
        body = self.call(query, **variables)
        assert not body.get("errors"), body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    def error(self, query: str, **variables: Any) -> dict[str, Any]:
        body = self.call(query, **variables)
        assert body.get("errors"), f"expected an error, got {body}"
        first: dict[str, Any] = body["errors"][0]
        return first

    def close(self) -> None:
        self._http.close()


@dataclass
class Hit:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Endpoint:
    """A plain HTTP endpoint on loopback that records every hit and answers each method
    with `status`, `headers` and `body` (a redirect, say, or JSON)."""

    url: str = ""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    hits: list[Hit] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1].split("/", 1)[0])


def _recording_handler(endpoint: Endpoint) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length", "0") or 0)
            hit = Hit(self.command, self.path, dict(self.headers), self.rfile.read(length))
            with endpoint.lock:
                endpoint.hits.append(hit)
            self.send_response(endpoint.status)
            for name, value in endpoint.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(endpoint.body)))
            self.end_headers()
            self.wfile.write(endpoint.body)

        do_GET = do_POST = do_PUT = _answer  # noqa: N815 - http.server's names

        def log_message(self, format: str, *args: Any) -> None:
            return None

    return Handler


@contextmanager
def endpoint(
    status: int = 200,
    *,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    tls: ssl.SSLContext | None = None,
) -> Iterator[Endpoint]:
    """Serve an Endpoint on a free loopback port while the block runs (HTTPS with `tls`)."""
    got = Endpoint(status=status, headers=dict(headers or {}), body=body)
    with handling(_recording_handler(got), tls=tls) as port:
        scheme = "https" if tls is not None else "http"
        got.url = f"{scheme}://127.0.0.1:{port}/"
        yield got


@contextmanager
def handling(
    handler: type[BaseHTTPRequestHandler], *, tls: ssl.SSLContext | None = None
) -> Iterator[int]:
    """Serve `handler` on a free loopback port (HTTPS with `tls`) while the block runs;
    yields the port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
