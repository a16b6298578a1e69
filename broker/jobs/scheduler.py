"""The expiry scheduler: a thread in the server process that revokes grants on time."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

from broker._backoff import RetryPolicy
from broker.integrations.sync_due_integrations import sync_due_integrations
from broker.jobs.escalate_requests import escalate_requests
from broker.jobs.expire_grants import REVOKE_RETRY, expire_due_grants
from broker.jobs.mail_audit_report import mail_audit_report, report_days
from broker.jobs.notify_expiring_soon import notify_expiring_soon
from broker.jobs.recover_grants import recover_grants
from broker.jobs.start_scheduled import start_scheduled
from broker.jobs.time_out_requests import time_out_requests
from broker.services import Services

_log = logging.getLogger(__name__)

HOUSEKEEPING_INTERVAL = 30.0


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
        audit_report_days: float | None = None,
    ) -> None:
        self._services = services
        # None: KEYTURN_AUDIT_REPORT_DAYS (a bad value fails the start, naming it)
        self._audit_report_days = (
            report_days(os.environ) if audit_report_days is None else audit_report_days
        )
        self._interval = interval
        self._retry = retry
        self._limit = limit
        self._next_housekeeping = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="keyturn-expiry", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _housekeeping_due(self) -> bool:
        """Whether the slower jobs (recovering interrupted grants, expiry warnings) run on
        this pass: the first pass, so a restart resumes at once, then every 30 seconds."""
        now = time.monotonic()
        if now < self._next_housekeeping:
            return False
        self._next_housekeeping = now + HOUSEKEEPING_INTERVAL
        return True

    def _side_job(self, job: Callable[[Services], int]) -> None:
        """Run one of the other periodic jobs; a failure is logged and never ends the loop."""
        try:
            job(self._services)
        except Exception:
            _log.exception("%s failed", job.__name__)

    def _mail_audit_report(self, services: Services) -> int:
        return mail_audit_report(services, every_days=self._audit_report_days)

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
            self._side_job(start_scheduled)
            self._side_job(time_out_requests)
            self._side_job(escalate_requests)
            if self._housekeeping_due():
                self._side_job(recover_grants)
                self._side_job(notify_expiring_soon)
                self._side_job(sync_due_integrations)
                self._side_job(self._mail_audit_report)
            if len(expired) < self._limit:
                self._stop.wait(self._interval)
