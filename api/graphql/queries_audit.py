"""Activity-log queries for admins and auditors (`viewAuditLog`, asked in the broker)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from api.graphql.context import context_of, run_use_case, viewer_of
from api.graphql.types_audit import ActivityFilter, ActivityPage, AuditVerifyReport
from broker import activity_log, verify_activity_log


@strawberry.type
class AuditQueries:
    @strawberry.field(description="Activity-log events, oldest first, filtered and paginated.")
    async def activity_log(
        self,
        info: Info[Any, Any],
        filter: ActivityFilter | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> ActivityPage:
        page = await run_use_case(
            activity_log,
            context_of(info).services,
            viewer=viewer_of(info).key,
            where=None if filter is None else filter.to_filter(),
            first=first,
            after=after,
        )
        return ActivityPage.of(page)

    @strawberry.field(description="Walk the log's hash chain; the first break, if any.")
    async def audit_verify(self, info: Info[Any, Any]) -> AuditVerifyReport:
        report = await run_use_case(
            verify_activity_log, context_of(info).services, viewer=viewer_of(info).key
        )
        return AuditVerifyReport.of(report)
