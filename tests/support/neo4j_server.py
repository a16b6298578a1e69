"""A real, throwaway Neo4j for the tests: tests/neo4j/run.sh as a child process."""

from __future__ import annotations

import contextlib
import os
import queue
import secrets
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

RUN_SH = Path(__file__).resolve().parents[1] / "neo4j" / "run.sh"
READY = "NEO4J READY "
START_TIMEOUT = 180.0  # a first run on a fresh machine also builds the launcher
STOP_TIMEOUT = 30.0


@contextmanager
def running_neo4j(
    timeout: float = START_TIMEOUT,
    page_cache: str | None = None,
    import_dir: str | None = None,
    log: IO[bytes] | None = None,
) -> Iterator[str]:
    """Start Neo4j on a free port with a random password; yield its `neo4j://` URL.
    `page_cache` (e.g. "2g") replaces the launcher's small default, for large graphs;
    `import_dir` first loads the CSV files graph.neo4j._bulk wrote there (`--import`);
    `log`, a binary file open for reading and writing, receives the launcher's stderr.

    The launcher exits when its stdin closes, so it never outlives this process even when
    pytest is killed; on a normal exit it is sent SIGTERM (then SIGKILL if it hangs).
    """
    password = secrets.token_urlsafe(24)
    # a file, so a chatty build can never block on a pipe
    with contextlib.nullcontext(log) if log else tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [str(RUN_SH), "--port", "0", "--password", password]
            + (["--page-cache", page_cache] if page_cache else [])
            + (["--import", import_dir] if import_dir else []),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            start_new_session=True,  # its own process group: a stop reaches a build's mvn too
        )
        assert process.stdout is not None
        lines: queue.Queue[str | None] = queue.Queue()
        pump = threading.Thread(target=_pump, args=(process.stdout, lines), daemon=True)
        pump.start()
        try:
            address = _wait_until_ready(process, lines, log, timeout)
            yield f"neo4j://neo4j:{password}@{address}"
        finally:
            _stop(process)
            pump.join(timeout=STOP_TIMEOUT)  # its stdout has ended with the process
            process.stdout.close()


def _pump(stdout: IO[str], lines: queue.Queue[str | None]) -> None:
    for line in stdout:
        lines.put(line)
    lines.put(None)


def _wait_until_ready(
    process: subprocess.Popen[str], lines: queue.Queue[str | None], log: IO[bytes], timeout: float
) -> str:
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    while True:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise RuntimeError(
                f"neo4j did not report ready within {timeout:.0f} s: "
                f"see its output below\n{_output(seen, log)}"
            ) from None
        if line is None:
            process.wait()
            raise RuntimeError(
                f"neo4j exited with status {process.returncode} before it was ready: "
                f"see its output below\n{_output(seen, log)}"
            )
        if line.startswith(READY):
            bolt = line.removeprefix(READY).strip()
            return bolt.removeprefix("bolt://")
        seen.append(line)


def _output(stdout_lines: list[str], log: IO[bytes]) -> str:
    log.seek(0)
    stderr = log.read().decode(errors="replace")
    return ("".join(stdout_lines) + stderr)[-8000:]


def _stop(process: subprocess.Popen[str]) -> None:
    if process.stdin is not None:
        process.stdin.close()
    if process.poll() is None:
        _signal_group(process, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait()


def _signal_group(process: subprocess.Popen[str], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # it may be gone already
        os.killpg(process.pid, signum)
