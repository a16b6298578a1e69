"""GraphQL types of the activity log: events, pages of them, the chain check, the filter."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from api.graphql.types import seconds_of, time_of
from broker import AuditEvent, AuditFilter, LogPage, VerifyReport


@strawberry.type(description="One event of the hash-chained activity log.")
class ActivityEvent:
    seq: int
    at: datetime | None
    kind: str
    actor: str
    resource: str
    subject: str
    data: JSON
    hash: str

    @classmethod
    def of(cls, event: AuditEvent) -> ActivityEvent:
        return cls(
            seq=event.position,
            at=time_of(event.at),
            kind=event.kind,
            actor=event.actor,
            resource=event.resource,
            subject=event.subject,
            data=JSON(event.data),
            hash=event.hash,
        )


@strawberry.type(description="Events oldest first; pass endCursor as `after` for the next page.")
class ActivityPage:
    events: list[ActivityEvent]
    end_cursor: str | None
    has_next_page: bool

    @classmethod
    def of(cls, page: LogPage) -> ActivityPage:
        return cls(
            events=[ActivityEvent.of(e) for e in page.events],
            end_cursor=page.end_cursor,
            has_next_page=page.has_next_page,
        )


@strawberry.type(description="The hash chain walked from the first event.")
class AuditVerifyReport:
    ok: bool
    checked: int
    problem: str | None = strawberry.field(description="the first break, in words")
    seq: int | None = strawberry.field(description="the event the break names")

    @classmethod
    def of(cls, report: VerifyReport) -> AuditVerifyReport:
        return cls(
            ok=report.ok, checked=report.checked, problem=report.problem or None, seq=report.seq
        )


@strawberry.input(description="Which events; every field left out matches everything.")
class ActivityFilter:
    from_: datetime | None = strawberry.field(name="from", default=None)
    to: datetime | None = strawberry.field(default=None, description="exclusive")
    actor: str | None = None
    resource: str | None = None
    kind: str | None = strawberry.field(
        default=None, description="a kind, or a prefix such as `grant` for every `grant.*`"
    )

    def to_filter(self) -> AuditFilter:
        return AuditFilter(
            since=seconds_of(self.from_),
            until=seconds_of(self.to),
            actor=self.actor,
            resource=self.resource,
            kind=self.kind,
        )
