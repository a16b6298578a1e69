"""A real SMTP server (aiosmtpd) and a real webhook receiver, both on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from email.policy import default
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword

from broker.notify import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature_is_valid
from tests.support.http_server import free_port, handling

SMTP_USER = "keyturn"
SMTP_PASSWORD = "s3cret-smtp-pass"
WEBHOOK_SECRET = "whsec-test-1234"


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.logins: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:  # noqa: N802
        assert isinstance(envelope.content, bytes)
        self.messages.append(message_from_bytes(envelope.content, policy=default))
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if m["To"] == address]


@dataclass
class Smtp:
    url: str
    inbox: _Inbox


def _authenticator(inbox: _Inbox) -> Any:
    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        ok = (
            isinstance(data, LoginPassword)
            and data.login == SMTP_USER.encode()
            and data.password == SMTP_PASSWORD.encode()
        )
        if ok:
            inbox.logins.append(SMTP_USER)
        return AuthResult(success=ok)

    return authenticate


@pytest.fixture
def smtp() -> Iterator[Smtp]:
    """A real SMTP server offering a login (plain text is allowed on loopback)."""
    inbox = _Inbox()
    port = free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=_authenticator(inbox),
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield Smtp(f"smtp://{SMTP_USER}:{SMTP_PASSWORD}@127.0.0.1:{port}", inbox)
    finally:
        controller.stop()


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
