"""A real, throwaway Redis for the tests: Debian's `redis-server` on a free loopback port,
its folder temporary, no persistence; an ACL admin `keyturn_admin` and the default user
switched off."""

from __future__ import annotations

import contextlib
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis

ADMIN = "keyturn_admin"
START_TIMEOUT = 30.0
_SERVER = ("redis-server", "--port")
# loopback, no persistence, and the password-less default user off
_RUN = ("--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--user", "default", "off")


@dataclass(frozen=True)
class Redis:
    host: str
    port: int
    admin: str
    password: str

    def connect(self) -> redis.Redis:
        return redis.Redis(
            host=self.host, port=self.port, username=self.admin, password=self.password
        )


@contextmanager
def running_redis() -> Iterator[Redis]:
    root = Path(tempfile.mkdtemp(prefix="keyturn-redis-"))
    password = secrets.token_urlsafe(24)
    try:
        port = _free_port()
        server = subprocess.Popen(
            [*_SERVER, str(port), "--dir", str(root), *_RUN, *_admin(password)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            found = Redis("127.0.0.1", port, ADMIN, password)
            _wait_until_ready(found, server)
            yield found
        finally:
            server.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.wait(timeout=10)
            if server.poll() is None:
                server.kill()
                server.wait(timeout=10)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _admin(password: str) -> list[str]:
    return ["--user", ADMIN, "on", f">{password}", "~*", "&*", "+@all"]


def _wait_until_ready(found: Redis, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"redis-server exited with {server.returncode} before it was ready")
        client = found.connect()
        try:
            client.ping()
            return
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
        finally:
            client.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
