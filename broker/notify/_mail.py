"""Email: over SMTP when `KEYTURN_SMTP_URL` is set, else as .eml files in an outbox folder."""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
import threading
import uuid
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from broker.errors import InvalidInput

_log = logging.getLogger(__name__)
_SCHEMES = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None: ...

    def describe(self) -> str:
        """Where mail goes, safe to log (no password)."""


class SmtpMailer:
    """Sends through an SMTP server: `smtp://` plain, `smtp+starttls://`, or `smtps://` (TLS)."""

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in _SCHEMES or not parts.hostname:
            raise InvalidInput(
                "the SMTP URL must look like `smtp://user:password@host:port` "
                "(or smtp+starttls://, smtps://): fix KEYTURN_SMTP_URL"
            )
        self._scheme = parts.scheme
        self._host = parts.hostname
        self._port = parts.port or _SCHEMES[parts.scheme]
        self._user = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password or "")
        self._timeout = timeout

    def describe(self) -> str:
        who = f"{self._user}@" if self._user else ""
        return f"{self._scheme}://{who}{self._host}:{self._port}"

    def send(self, message: EmailMessage) -> None:
        smtp: smtplib.SMTP
        if self._scheme == "smtps":
            context = ssl.create_default_context()
            smtp = smtplib.SMTP_SSL(self._host, self._port, timeout=self._timeout, context=context)
        else:
            smtp = smtplib.SMTP(self._host, self._port, timeout=self._timeout)
        with smtp:
            if self._scheme == "smtp+starttls":
                smtp.starttls(context=ssl.create_default_context())
            if self._user is not None:
                smtp.login(self._user, self._password)
            smtp.send_message(message)


class OutboxMailer:
    """Writes each message as an .eml file; says once, in the log, where they go.

    Mails hold access links and names, so the folder is the owner's only (0700) and each
    mail is created 0600, whatever the umask."""

    def __init__(self, folder: str | Path) -> None:
        self._folder = Path(folder)
        self._path = os.fspath(self._folder)
        self._told = False
        self._lock = threading.Lock()

    @property
    def folder(self) -> Path:
        return self._folder

    def describe(self) -> str:
        return f"outbox folder {self._folder.resolve()}"

    def send(self, message: EmailMessage) -> None:
        with self._lock:
            if not self._told:
                self._folder.mkdir(mode=0o700, parents=True, exist_ok=True)
                try:
                    self._folder.chmod(0o700)  # a folder an older Keyturn made 0755
                except PermissionError:
                    _log.warning("cannot make outbox folder %s owner-only", self._folder)
                _log.info("no SMTP server configured: writing mail to %s", self._folder.resolve())
                self._told = True
        # Paths as plain strings: pathlib's joins cost more than the write itself.
        name = f"{uuid.uuid4().hex}.eml"
        partial = os.path.join(self._path, f".{name}.tmp")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            left = memoryview(bytes(message))
            while left:  # a write may take part of it
                left = left[os.write(fd, left) :]
        finally:
            os.close(fd)
        os.replace(partial, os.path.join(self._path, name))


def mailer_for(smtp_url: str | None, *, outbox: str | Path) -> Mailer:
    return SmtpMailer(smtp_url) if smtp_url else OutboxMailer(outbox)
