"""A real OpenID provider for the tests: tests/oidc/run.mjs (the npm package `oidc-provider`,
pinned by tests/oidc/package-lock.json) as a child process.

`npm ci` runs once, and again whenever the lockfile changes (a stamp in node_modules
records the lockfile's hash it was installed from)."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import select
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

OIDC_DIR = Path(__file__).resolve().parents[1] / "oidc"
READY = "OIDC READY "
START_TIMEOUT = 60.0
INSTALL_TIMEOUT = 300.0
STOP_TIMEOUT = 10.0
NODE_AT_LEAST = (20, 18)  # URL.parse arrived in 20.18, crypto.hash in 20.12
_STAMP = OIDC_DIR / "node_modules" / ".keyturn-lock-sha256"


@dataclass
class OidcProvider:
    """A running provider with one confidential client; `sign_in_as` chooses who the next
    sign-in is (there is no login page: each sign-in completes as that account)."""

    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str
    sign_in_file: Path

    def sign_in_as(
        self,
        email: str,
        *,
        sub: str | None = None,
        groups: Sequence[str] = (),
        email_verified: bool = True,
        tamper: Mapping[str, Any] | None = None,
    ) -> str:
        """Make the next sign-in `email`'s (subject `sub`, by default one derived from
        the email); `tamper` alters the ID token the provider returns (see run.mjs).
        Returns the subject."""
        subject = sub or "sub-" + hashlib.sha256(email.encode()).hexdigest()[:16]
        account = {
            "sub": subject,
            "email": email,
            "email_verified": email_verified,
            "name": email.split("@", 1)[0].title(),
            "groups": list(groups),
        }
        document: dict[str, Any] = {"account": account}
        if tamper:
            document["tamper"] = dict(tamper)
        self.sign_in_file.write_text(json.dumps(document), encoding="utf-8")
        return subject


@contextmanager
def running_oidc_provider(
    redirect_uri: str,
    *,
    client_id: str = "keyturn",
    port: int = 0,
    key_id: str | None = None,
    timeout: float = START_TIMEOUT,
) -> Iterator[OidcProvider]:
    """Start the provider on `port` (a free loopback port when 0) with a client whose only
    redirect URI is `redirect_uri`, signing with a fresh key named `key_id` (a fresh name
    when None); yield it once its discovery document is served; stop it afterwards.
    It exits when its stdin closes, so it never outlives this process."""
    install()
    client_secret = secrets.token_urlsafe(24)
    with tempfile.TemporaryDirectory() as scratch, tempfile.TemporaryFile() as log:
        sign_in_file = Path(scratch) / "sign-in.json"
        sign_in_file.write_text('{"account": {"sub": "nobody", "email": ""}}', encoding="utf-8")
        process = subprocess.Popen(
            [
                _node(),
                str(OIDC_DIR / "run.mjs"),
                f"--port={port}",
                *([f"--key-id={key_id}"] if key_id else []),
                f"--client-id={client_id}",
                f"--client-secret={client_secret}",
                f"--redirect-uri={redirect_uri}",
                f"--sign-in={sign_in_file}",
            ],
            cwd=OIDC_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            start_new_session=True,
        )
        try:
            issuer = _wait_until_ready(process, log, timeout)
            yield OidcProvider(issuer, client_id, client_secret, redirect_uri, sign_in_file)
        finally:
            _stop(process)


def install() -> None:
    """`npm ci` in tests/oidc unless node_modules was installed from this very lockfile;
    under a file lock, so parallel test processes install once."""
    wanted = hashlib.sha256((OIDC_DIR / "package-lock.json").read_bytes()).hexdigest()
    with open(OIDC_DIR / ".npm-install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _STAMP.exists() and _STAMP.read_text().strip() == wanted:
            return
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("npm is not installed: install nodejs and npm (.ci/run does)")
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=OIDC_DIR,
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT,
        )
        if done.returncode != 0:
            raise RuntimeError(f"`npm ci` in {OIDC_DIR} failed:\n{done.stdout}{done.stderr}")
        _STAMP.write_text(wanted + "\n")


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is not installed: install nodejs (.ci/run does)")
    version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
    found = tuple(int(part) for part in version.lstrip("v").split(".")[:2] if part.isdigit())
    if found < NODE_AT_LEAST:
        wanted = ".".join(map(str, NODE_AT_LEAST))
        raise RuntimeError(
            f"oidc-provider 9 needs Node.js {wanted} or later (it calls URL.parse and "
            f"crypto.hash); `node` here is {version}: install a newer nodejs"
        )
    return node


def _wait_until_ready(process: subprocess.Popen[str], log: Any, timeout: float) -> str:
    assert process.stdout is not None
    # run.mjs prints its one line as soon as it listens (or exits with its reason on stderr)
    readable, _, _ = select.select([process.stdout], [], [], timeout)
    line = process.stdout.readline() if readable else ""
    if not line.startswith(READY):
        _stop(process)
        raise RuntimeError(f"the OIDC provider did not start: {line}{_output(log)}")
    issuer = line.removeprefix(READY).strip()
    deadline = time.monotonic() + timeout
    while True:  # ready once its discovery document is served
        with contextlib.suppress(httpx.HTTPError):
            reply = httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=5)
            if reply.status_code == 200 and reply.json().get("issuer") == issuer:
                return issuer
        if time.monotonic() > deadline or process.poll() is not None:
            raise RuntimeError(f"the OIDC provider at {issuer} never served its discovery")
        time.sleep(0.05)


def _output(log: Any) -> str:
    log.seek(0)
    return str(log.read().decode(errors="replace"))[-4000:]


def _stop(process: subprocess.Popen[str]) -> None:
    if process.stdin is not None:
        process.stdin.close()
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    if process.stdout is not None:
        process.stdout.close()
