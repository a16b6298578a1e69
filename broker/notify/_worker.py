"""Delivers notifications off the request path: one thread, a bounded queue, retries.

A failing job is retried with exponential backoff and jitter until it has had
`max_attempts`; then it is logged and dropped. Nothing here ever raises into a use case.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from broker._backoff import RetryPolicy

_log = logging.getLogger(__name__)


@dataclass(kw_only=True)
class Job:
    """One delivery; `label` appears in logs, so it must name no secret."""

    label: str
    run: Callable[[], None]
    attempts: int = field(default=0)


class DeliveryWorker:
    def __init__(
        self, *, retry: RetryPolicy | None = None, capacity: int = 1000, name: str = "notify"
    ) -> None:
        self._retry = retry or RetryPolicy()
        self._queue: queue.Queue[Job] = queue.Queue(maxsize=capacity)
        self._later: list[tuple[float, int, Job]] = []
        self._order = itertools.count()
        self._stop = threading.Event()
        self._idle = threading.Condition()
        self._outstanding = 0
        self._thread = threading.Thread(target=self._run, name=f"keyturn-{name}", daemon=True)
        self._thread.start()

    def submit(self, job: Job) -> bool:
        """Queue `job`; False (and a warning) when the queue is full or the worker stopped."""
        if self._stop.is_set():
            _log.warning("notification worker is stopped: dropped %s", job.label)
            return False
        with self._idle:
            self._outstanding += 1
        try:
            self._queue.put_nowait(job)
        except queue.Full:
            self._finished()
            _log.warning("notification queue is full: dropped %s", job.label)
            return False
        return True

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait until every queued job and retry is done; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._outstanding == 0, timeout=timeout)

    def close(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout=timeout)
        if self._later:
            _log.warning("notification worker stopped with %d retry(ies) pending", len(self._later))

    def _finished(self) -> None:
        with self._idle:
            self._outstanding -= 1
            self._idle.notify_all()

    def _run(self) -> None:
        while not self._stop.is_set():
            wait = 0.2
            if self._later:
                wait = max(0.0, min(wait, self._later[0][0] - time.monotonic()))
            try:
                job = self._queue.get(timeout=wait)
            except queue.Empty:
                job = None
            if job is not None:
                self._attempt(job)
            while self._later and self._later[0][0] <= time.monotonic():
                self._attempt(heapq.heappop(self._later)[2])

    def _attempt(self, job: Job) -> None:
        job.attempts += 1
        try:
            job.run()
        except Exception as failure:
            # The message of a delivery error names hosts and statuses, never credentials.
            problem = f"{type(failure).__name__}: {failure}"
            if job.attempts >= self._retry.max_attempts:
                _log.error("gave up on %s after %d attempts: %s", job.label, job.attempts, problem)
                self._finished()
                return
            delay = self._retry.delay(job.attempts)
            _log.warning(
                "%s failed (attempt %d), retrying in %.2fs: %s",
                job.label,
                job.attempts,
                delay,
                problem,
            )
            heapq.heappush(self._later, (time.monotonic() + delay, next(self._order), job))
            return
        self._finished()
