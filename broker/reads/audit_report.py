"""Audit reports for admins and auditors: the events of a bounded time range, and the chain."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from broker._lookup import require_allowed
from broker.audit import AuditEvent, AuditFilter, VerifyReport, read_events, verify_chain
from broker.errors import InvalidInput
from broker.services import Services
from policies.api_authz import Target

# One year and a leap day: a yearly report fits, a whole log's dump does not.
MAX_REPORT_DAYS = 366


@dataclass(frozen=True)
class AuditReport:
    """`events` in [since, until), oldest first, streamed as they are read; `chain` is the
    hash chain walked when the report was asked for."""

    since: float
    until: float
    chain: VerifyReport
    events: Iterator[AuditEvent]


def audit_report(services: Services, *, viewer: str, since: float, until: float) -> AuditReport:
    """The report of [since, until); refused for a range that ends first or spans too long."""
    require_allowed(services, viewer, "viewAuditLog", Target.api())
    if until <= since:
        raise InvalidInput("the time range ends before it starts: put `to` after `from`")
    if until - since > MAX_REPORT_DAYS * 86400:
        raise InvalidInput(
            f"the time range spans more than {MAX_REPORT_DAYS} days: ask for one year at a time"
        )
    chain = verify_chain(services.store)
    events = read_events(services.store, AuditFilter(since=since, until=until))
    return AuditReport(since=since, until=until, chain=chain, events=events)
