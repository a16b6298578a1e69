"""The periodic audit report: every N days (KEYTURN_AUDIT_REPORT_DAYS, 7 by default, 0 = off)
every auditor is mailed the period's event counts by kind, the chain's status and a link to
the CSV report. When it last went out is kept in the graph, so a restart does not resend."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime

from broker import audit
from broker.errors import InvalidInput
from broker.notify import Notice, NoticeKind
from broker.services import Services
from graph import ConflictError, SetProps, UpsertNode

_log = logging.getLogger(__name__)

ENV = "KEYTURN_AUDIT_REPORT_DAYS"
DEFAULT_DAYS = 7.0
_KIND, _KEY = "AuditReportMail", "auditors"
_DAY = 86_400.0


def report_days(env: Mapping[str, str]) -> float:
    """Days between reports from the environment; 0 turns the report off."""
    text = env.get(ENV, "").strip()
    try:
        days = float(text) if text else DEFAULT_DAYS
    except ValueError:
        raise InvalidInput(
            f"{ENV} `{text}` is not a number of days: give e.g. 7, or 0 for off"
        ) from None
    if not 0 <= days <= 366:
        raise InvalidInput(f"{ENV} `{text}` must be between 0 (off) and 366 days")
    return days


def mail_audit_report(services: Services, *, every_days: float = DEFAULT_DAYS) -> int:
    """Mail the report when a period has passed since the last one; return how many
    auditors it was sent to. The first call only starts the first period."""
    if every_days <= 0:
        return 0
    store, now = services.store, services.clock()
    node = store.get_node(_KIND, _KEY)
    if node is None:
        store.write([UpsertNode(_KIND, _KEY, {"sent_until": now})])
        return 0
    since = float(node.props["sent_until"])
    if now < since + every_days * _DAY:
        return 0
    # Claim the period before mailing: of two processes (or workers) exactly one sends it.
    claim = SetProps(_KIND, _KEY, {"sent_until": now}, expect={"sent_until": since})
    try:
        store.write([claim])
    except ConflictError:
        return 0
    auditors = tuple(
        user.key
        for user in store.find_nodes("User", equals={"role": "auditor"})
        if not user.props.get("disabled")
    )
    if not auditors:
        return 0
    services.notifier.publish(_report(_summary(services, since, now), since, now, auditors))
    return len(auditors)


def _summary(services: Services, since: float, until: float) -> dict[str, object]:
    """What the report says of [since, until): counts by kind and the chain's status."""
    period = audit.AuditFilter(since=since, until=until)
    counts = Counter(event.kind for event in audit.read_events(services.store, period))
    chain = audit.verify_chain(services.store)
    status = f"intact ({chain.checked} events checked)" if chain.ok else f"BROKEN: {chain.problem}"
    return {"counts": dict(counts), "chain": status}


def _report(
    summary: dict[str, object], since: float, until: float, auditors: tuple[str, ...]
) -> Notice:
    return Notice(
        kind=NoticeKind.AUDIT_REPORT,
        request="",
        requester="",
        resource="",
        state="",
        at=until,
        assignees=auditors,  # who is told: decided here, not by notify
        details={**summary, "from": _iso(since), "to": _iso(until)},
    )


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
