"""A real SMTP server (aiosmtpd) and a real webhook receiver, both on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from broker.notify import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature_is_valid
from tests.support.http_server import handling
from tests.support.smtp import SMTP_PASSWORD, SMTP_USER, Smtp, smtp

__all__ = ["SMTP_PASSWORD", "SMTP_USER", "Smtp", "smtp"]

WEBHOOK_SECRET = "whsec-test-1234"


@dataclass
class Receiver:
    """Checks every delivery's signature; answers 500 to the first `fail_first` deliveries."""

    url: str
    fail_first: int = 0
    attempts: int = 0
    accepted: list[dict[str, Any]] = field(default_factory=list)
    refused_signatures: int = 0
    events: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with receiver.lock:
                receiver.attempts += 1
                valid = signature_is_valid(
                    WEBHOOK_SECRET,
                    timestamp=self.headers.get(TIMESTAMP_HEADER, ""),
                    body=body,
                    signature=self.headers.get(SIGNATURE_HEADER, ""),
                )
                if not valid:
                    receiver.refused_signatures += 1
                    status = 401
                elif receiver.attempts <= receiver.fail_first:
                    status = 500
                else:
                    receiver.accepted.append(json.loads(body))
                    receiver.events.append(self.headers.get("X-Keyturn-Event", ""))
                    status = 204
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return None

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    got = Receiver(url="")
    with handling(_handler(got)) as port:
        got.url = f"http://127.0.0.1:{port}/hooks/keyturn"
        yield got
