"""Races between Keyturn processes sharing one graph (Neo4j: the embedded graph has one
process). Each worker runs `script` with its own arguments, says "ready" once its services
are open, waits for the start file, acts, and prints one word: its outcome."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

WAIT_FOR_GO = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from api.server import open_services

    def opened_and_started(url, go):
        services = open_services(url)
        print("ready", flush=True)
        while not Path(go).exists():
            time.sleep(0.002)
        return services
    """
)
"""Prepended to every worker script: `opened_and_started(url, go)` opens the services,
says ready, and returns when the race starts."""


def race(script: str, workers: Sequence[Sequence[str]], go: Path) -> list[str]:
    """Start one process per argument list, release them all at once once every one is
    ready, and return their outcomes, sorted (the order they finish in is the race's)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    code = WAIT_FOR_GO + textwrap.dedent(script)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, *args],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for args in workers
    ]
    for proc in procs:  # every process is up before any acts
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready", proc.stderr
    go.touch()
    outcomes = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        outcomes.append(out.strip())
    return sorted(outcomes)
