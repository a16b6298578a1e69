"""A real SMTP server (aiosmtpd) on loopback, and the inbox it fills, for tests that read mail."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message
from email.policy import default
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword

from tests.support.http_server import free_port

SMTP_USER = "keyturn"
SMTP_PASSWORD = "s3cret-smtp-pass"


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
    with smtp_server() as server:
        yield server


@contextmanager
def smtp_server() -> Iterator[Smtp]:
    """The `smtp` fixture's server, for fixtures of a wider scope."""
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
