"""The activity log for admins and auditors: filtered pages of events, and the chain check."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice

from broker._lookup import require_allowed
from broker.audit import AuditEvent, AuditFilter, VerifyReport, read_events, verify_chain
from broker.errors import InvalidInput
from broker.services import Services
from policies.api_authz import Target

MAX_PAGE = 500


@dataclass(frozen=True)
class LogPage:
    """Events oldest first; `end_cursor` (the last one's position) is the next `after`."""

    events: tuple[AuditEvent, ...]
    has_next_page: bool

    @property
    def end_cursor(self) -> str | None:
        return str(self.events[-1].position) if self.events else None


def activity_log(
    services: Services,
    *,
    viewer: str,
    where: AuditFilter | None = None,
    first: int = 50,
    after: str | None = None,
) -> LogPage:
    """Up to `first` events `where` selects, after the cursor `after` (None: from the start)."""
    require_allowed(services, viewer, "viewAuditLog", Target.api())
    if not 1 <= first <= MAX_PAGE:
        raise InvalidInput(f"page size `{first}` is outside 1..{MAX_PAGE}: ask for fewer")
    if after is not None and not (after.isascii() and after.isdigit()):
        raise InvalidInput(
            f"cursor `{after}` is not one the activity log hands out: pass a page's endCursor"
        )
    start = int(after or 0)
    chosen = where or AuditFilter()
    if chosen.since is not None and chosen.until is not None and chosen.until <= chosen.since:
        raise InvalidInput("the time range ends before it starts: put `to` after `from`")
    events = (e for e in read_events(services.store, chosen) if e.position > start)
    page = tuple(islice(events, first + 1))
    return LogPage(page[:first], len(page) > first)


def verify_activity_log(services: Services, *, viewer: str) -> VerifyReport:
    """Walk the hash chain: the first edited, removed or reordered event, if any."""
    require_allowed(services, viewer, "viewAuditLog", Target.api())
    return verify_chain(services.store)
