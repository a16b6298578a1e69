"""A real, throwaway PostgreSQL for the tests: Debian's `initdb` and `postgres` on a free
loopback port, its data under a temporary folder.

PostgreSQL refuses to run as root, so as root the server runs as Debian's `postgres` user
(the data folder is handed to it); as anyone else it runs as that user.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
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

import psycopg

from broker.integrations._postgresql_pool import close_idle

ADMIN = "keyturn_admin"
START_TIMEOUT = 60.0
_INIT = ("--auth=scram-sha-256", "-E", "UTF8", "--no-sync")
# loopback only; no fsync: the data is thrown away
_RUN = ("-h", "127.0.0.1", "-c", "fsync=off", "-c", "max_connections=200")


@dataclass(frozen=True)
class Postgres:
    host: str
    port: int
    admin: str
    password: str

    def connect(self, dbname: str = "postgres") -> psycopg.Connection[tuple[object, ...]]:
        """An autocommit connection as the admin, for a test's own setup."""
        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.admin,
            password=self.password,
            dbname=dbname,
            autocommit=True,
        )


def postgres_bin() -> Path | None:
    """The newest installed server's bin folder; None when only the client is installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    return Path(found[-1]).parent if found else None


@contextmanager
def running_postgres() -> Iterator[Postgres]:
    """Start PostgreSQL with a superuser `keyturn_admin` and a random password; stop it
    and delete its data on exit."""
    bin_dir = postgres_bin()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL's server is not installed: apt-get install postgresql")
    password = secrets.token_urlsafe(24)
    root = Path(tempfile.mkdtemp(prefix="keyturn-pg-"))
    run_as = _unprivileged_user()
    try:
        data, pwfile = root / "data", root / "pwfile"
        pwfile.write_text(password + "\n")
        _hand_to(root, run_as)
        _run_as(
            run_as,
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                ADMIN,
                "--pwfile",
                str(pwfile),
                *_INIT,
            ],
        )
        port = _free_port()
        server = subprocess.Popen(
            [str(bin_dir / "postgres"), "-D", str(data), "-p", str(port), "-k", str(root), *_RUN],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            user=run_as,
            start_new_session=True,
        )
        try:
            found = Postgres("127.0.0.1", port, ADMIN, password)
            _wait_until_ready(found, server)
            yield found
        finally:
            close_idle()  # Keyturn's kept admin connections: none outlives the server
            server.terminate()  # SIGTERM: a smart shutdown once sessions end
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.wait(timeout=5)
            if server.poll() is None:
                server.send_signal(3)  # SIGQUIT: an immediate shutdown
                server.wait(timeout=10)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _unprivileged_user() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres").pw_name
    except KeyError:
        raise RuntimeError("running as root needs Debian's `postgres` user") from None


def _hand_to(root: Path, user: str | None) -> None:
    if user is None:
        return
    for path in [root, *root.rglob("*")]:
        shutil.chown(path, user=user)


def _run_as(user: str | None, argv: list[str]) -> None:
    subprocess.run(argv, check=True, capture_output=True, user=user)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_ready(found: Postgres, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"postgres exited with {server.returncode} before it was ready")
        try:
            found.connect().close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
