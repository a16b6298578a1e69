"""One read of the stored webhooks serves every notice published before the read began.

The delivery worker used to read the graph once per notice; an auto-approved request
publishes two or three, so on Neo4j a third of a request's round trips were these reads.
A notice only needs a read that began after it was published: then every webhook saved,
changed or disabled before the notice is seen, exactly as with a read of its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from broker.notify._webhook import Webhook


class StoredWebhookReads:
    """Numbers published notices and reads the stored webhooks for them, sharing a read
    among the notices published before it began."""

    def __init__(self, read: Callable[[], Sequence[Webhook]]) -> None:
        self._read = read
        self._lock = threading.Lock()
        self._published = 0
        # The latest read: it began after notices 1..covered were published.
        self._covered = 0
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
            covers = self._published
        hooks = tuple(self._read())
        with self._lock:
            if covers > self._covered:
                self._covered, self._hooks = covers, hooks
        return hooks
