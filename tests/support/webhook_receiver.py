"""A real HTTP receiver for the webhook integration: checks every signature, records what
it accepted, answers grants with access details, and fails on request."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from broker.integrations import IDEMPOTENCY_HEADER
from broker.notify import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature_is_valid
from tests.support.http_server import handling

SECRET = "integration-signing-secret-42"


@dataclass
class Receiver:
    url: str = ""
    fail: set[str] = field(default_factory=set)  # actions answered 503
    fail_first: int = 0  # the first N deliveries of any action are answered 503
    attempts: int = 0
    refused_signatures: int = 0
    accepted: list[dict[str, Any]] = field(default_factory=list)
    idempotency_keys: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def actions(self) -> list[str]:
        return [str(body["action"]) for body in self.accepted]


def _handler(got: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with got.lock:
                got.attempts += 1
                valid = signature_is_valid(
                    SECRET,
                    timestamp=self.headers.get(TIMESTAMP_HEADER, ""),
                    body=body,
                    signature=self.headers.get(SIGNATURE_HEADER, ""),
                )
                payload = json.loads(body) if valid else {}
                if not valid:
                    got.refused_signatures += 1
                    status, answer = 401, b""
                elif got.attempts <= got.fail_first or payload["action"] in got.fail:
                    status, answer = 503, b""
                else:
                    got.accepted.append(payload)
                    got.idempotency_keys.append(self.headers.get(IDEMPOTENCY_HEADER, ""))
                    status = 200
                    details = {
                        "username": "tmp_linus",
                        "password": "pw-" + payload["request"]["id"][-6:],
                    }
                    answer = (
                        json.dumps({"details": details}).encode()
                        if payload["action"] == "grant"
                        else b""
                    )
            self.send_response(status)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            return None

    return Handler


@contextmanager
def receiving() -> Iterator[Receiver]:
    got = Receiver()
    with handling(_handler(got)) as port:
        got.url = f"http://127.0.0.1:{port}/provision/secret-path"
        yield got
