"""A real, throwaway MariaDB for the tests: Debian's `mariadb-install-db` and `mariadbd` on
a free loopback port, its data under a temporary folder (as root it runs as `mysql`)."""

from __future__ import annotations

import contextlib
import os
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
from typing import Any

import pymysql

ADMIN = "keyturn_admin"
START_TIMEOUT = 60.0
_INSTALL = ("--auth-root-authentication-method=socket", "--skip-test-db")
_MARIADBD = ("mariadbd", "--no-defaults")
_RUN = ("--bind-address=127.0.0.1", "--skip-name-resolve", "--innodb-buffer-pool-size=32M")


@dataclass(frozen=True)
class MariaDB:
    host: str
    port: int
    admin: str
    password: str

    def connect(self, database: str | None = None) -> Any:
        """An autocommit connection as the admin, for a test's own setup."""
        return pymysql.connect(
            host=self.host,
            port=self.port,
            user=self.admin,
            password=self.password,
            database=database,
            autocommit=True,
        )


@contextmanager
def running_mariadb() -> Iterator[MariaDB]:
    """Start MariaDB with an admin `keyturn_admin` (all privileges, with grant option) and
    a random password; stop it and delete its data on exit."""
    root = Path(tempfile.mkdtemp(prefix="keyturn-mariadb-"))
    run_as = ["--user=mysql"] if os.geteuid() == 0 else []
    try:
        data, sock = root / "data", root / "mariadb.sock"
        if run_as:
            shutil.chown(root, user="mysql")
        subprocess.run(
            ["mariadb-install-db", f"--datadir={data}", *_INSTALL, *run_as],
            check=True,
            capture_output=True,
        )
        port = _free_port()
        server = subprocess.Popen(
            [*_MARIADBD, f"--datadir={data}", f"--socket={sock}", *run_as, *_RUN, f"--port={port}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            found = MariaDB("127.0.0.1", port, ADMIN, secrets.token_urlsafe(24))
            _wait_and_add_admin(found, sock, server)
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


def _wait_and_add_admin(found: MariaDB, sock: Path, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    # the socket appears once the server takes connections (a failed pymysql connect
    # would leak its socket, so no connect is tried before)
    while not sock.exists():
        if server.poll() is not None:
            raise RuntimeError(f"mariadbd exited with {server.returncode} before it was ready")
        if time.monotonic() > deadline:
            raise RuntimeError(f"mariadbd was not ready within {START_TIMEOUT:.0f} s")
        time.sleep(0.05)
    # root signs in over the socket only (unix_socket authentication)
    root = pymysql.connect(unix_socket=str(sock), user="root", autocommit=True)
    with root.cursor() as cursor:
        cursor.execute(f"CREATE USER '{found.admin}'@'%%' IDENTIFIED BY %s", [found.password])
        cursor.execute(f"GRANT ALL PRIVILEGES ON *.* TO '{found.admin}'@'%' WITH GRANT OPTION")
    root.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
