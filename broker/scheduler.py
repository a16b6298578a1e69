"""The expiry scheduler: a thread in the server process that revokes grants on time."""

from __future__ import annotations

import logging
import threading

from broker._backoff import RetryPolicy
from broker.expire_grants import REVOKE_RETRY, expire_due_grants
from broker.services import Services

_log = logging.getLogger(__name__)


class ExpiryScheduler:
    """Runs `expire_due_grants` every `interval` seconds until stopped.

    It runs once at start, so grants that fell due while Keyturn was down go first. A pass
    that took a full `limit` of grants is followed by the next one at once, so a burst of
    expiries (thousands within a minute) drains without waiting out intervals.
    """

    def __init__(
        self,
        services: Services,
        *,
        interval: float = 1.0,
        retry: RetryPolicy = REVOKE_RETRY,
        limit: int = 500,
    ) -> None:
        self._services = services
        self._interval = interval
        self._retry = retry
        self._limit = limit
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="keyturn-expiry", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                expired = expire_due_grants(self._services, limit=self._limit, retry=self._retry)
            except Exception:
                # A failing pass must not end the loop; the next pass retries.
                _log.exception("expiry pass failed")
                expired = []
            if expired:
                _log.info("expired %d grant(s): %s", len(expired), ", ".join(expired))
            if len(expired) < self._limit:
                self._stop.wait(self._interval)
