"""Idle admin connections kept per integration, so a grant or revoke does not pay for a
new connection and its SCRAM sign-in each time (most of its cost otherwise).

A connection is kept only when it is healthy and outside any transaction, is checked with
one round trip before reuse, and is dropped when the integration's settings change.
"""

from __future__ import annotations

import atexit
import hashlib
import threading
from collections.abc import Callable
from typing import Any

import psycopg

MOST_IDLE = 4  # per integration

Connection = psycopg.Connection[Any]

_lock = threading.Lock()
_idle: dict[str, tuple[str, list[Connection]]] = {}  # integration -> (settings, idle)


def fingerprint(*settings: object) -> str:
    """A digest of the settings a connection was opened with (the password among them)."""
    return hashlib.sha256(repr(settings).encode()).hexdigest()


def take(integration: str, settings: str, open_new: Callable[[], Connection]) -> Connection:
    """An idle connection opened with `settings` that still answers, else a new one."""
    while True:
        with _lock:
            kept, idle = _idle.get(integration, ("", []))
            found = idle.pop() if kept == settings and idle else None
        if found is None:
            return open_new()
        try:
            found.execute("SELECT 1")
            return found
        except psycopg.Error:
            found.close()  # the server restarted or dropped it: try the next one


def give_back(integration: str, settings: str, connection: Connection) -> None:
    """Keep `connection` for reuse when it is fit to be, else close it."""
    fit = (
        not connection.closed
        and connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    )
    stale: list[Connection] = []
    kept_it = False
    with _lock:
        kept, idle = _idle.get(integration, ("", []))
        if kept != settings:
            stale, idle = idle, []
            _idle[integration] = (settings, idle)
        if fit and len(idle) < MOST_IDLE:
            idle.append(connection)
            kept_it = True
    for old in stale:
        old.close()
    if not kept_it:
        connection.close()


@atexit.register
def close_idle() -> None:
    """Close every idle connection (at exit, and when tests stop their server)."""
    with _lock:
        idle = [c for _, kept in _idle.values() for c in kept]
        _idle.clear()
    for connection in idle:
        connection.close()
