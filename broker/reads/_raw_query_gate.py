"""The bounds on auditors' raw queries running at once: one per caller, a few overall.

A raw query may use a CPU core and up to its memory ceiling until its timeout, so the
server runs only a few at a time, and one caller cannot take every slot: a second query
from a caller whose first still runs is refused at once (it is a double submit or a
script, and waiting would tie up a worker); a query that finds every slot taken waits
briefly for one, then is refused. Both refusals say to try again.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from broker.errors import DomainError


class TooManyQueries(DomainError):
    """The caller already has a raw query running, or the server runs as many as it may."""

    code = "too_many_queries"


@dataclass(frozen=True)
class RawQueryLimits:
    timeout_s: float = 10.0
    """A query still running after this long is stopped."""
    at_once: int = 2
    """Raw queries the server runs at the same time, from all callers together."""
    wait_s: float = 2.0
    """How long a query waits for a free slot before it is refused."""


class RawQueryGate:
    """Admits a raw query within `limits`; thread-safe (use cases run in worker threads)."""

    def __init__(self, limits: RawQueryLimits) -> None:
        if limits.at_once < 1 or limits.timeout_s <= 0 or limits.wait_s < 0:
            raise ValueError(f"raw query limits {limits} must be positive")
        self.limits = limits
        self._slots = threading.BoundedSemaphore(limits.at_once)
        self._lock = threading.Lock()
        self._running: set[str] = set()

    @contextmanager
    def admit(self, caller: str) -> Iterator[None]:
        """Hold a slot for `caller`'s query while the block runs, or raise TooManyQueries."""
        with self._lock:
            if caller in self._running:
                raise TooManyQueries(
                    f"`{caller}` already has a raw query running: wait for its answer "
                    f"(at most {self.limits.timeout_s:g} s), then ask again"
                )
            self._running.add(caller)
        try:
            if not self._slots.acquire(timeout=self.limits.wait_s):
                at_once = self.limits.at_once
                raise TooManyQueries(
                    f"the server is already running {at_once} raw "
                    f"{'query' if at_once == 1 else 'queries'}, the most it runs at once: "
                    f"try again in a few seconds"
                )
            try:
                yield
            finally:
                self._slots.release()
        finally:
            with self._lock:
                self._running.discard(caller)
