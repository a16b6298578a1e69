"""One read of the stored webhooks serves every notice published before the read began.

The delivery worker used to read the graph once per notice; an auto-approved request
publishes two or three, so on Neo4j a third of a request's round trips were these reads.
A notice only needs a read that began after it was published: then every webhook saved,
changed or disabled before the notice is seen, exactly as with a read of its own.

Reads are also spaced: one begins at least `spacing` seconds after the one before, so
under load each read serves the notices of that interval; deliveries wait at most that long.
The wait costs no delivery capacity: it is only as long as the worker had nothing to do.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from broker.notify._webhook import Webhook

# Twenty reads a second at most; a webhook call or an email is not worse for 50 ms more.
READ_SPACING = 0.05


class StoredWebhookReads:
    """Numbers published notices and reads the stored webhooks for them, sharing a read
    among the notices published before it began."""

    def __init__(
        self,
        read: Callable[[], Sequence[Webhook]],
        *,
        spacing: float = READ_SPACING,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._read = read
        self._spacing = spacing
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._published = 0
        # The latest read: it began after notices 1..covered were published.
        self._covered = 0
        self._began = -spacing
        self._hooks: tuple[Webhook, ...] = ()

    def publish(self) -> int:
        """The number of a notice being published now."""
        with self._lock:
            self._published += 1
            return self._published

    def for_notice(self, number: int) -> tuple[Webhook, ...]:
        """The stored webhooks as of a moment after notice `number` was published."""
        with self._lock:
            if number <= self._covered:
                return self._hooks
        wait = self._began + self._spacing - self._clock()
        if wait > 0:
            self._sleep(wait)
        with self._lock:
            covers = self._published
            self._began = self._clock()
        hooks = tuple(self._read())
        with self._lock:
            if covers > self._covered:
                self._covered, self._hooks = covers, hooks
        return hooks
