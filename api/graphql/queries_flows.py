"""Access flows, read: the flows (admins, auditors), their analysis and Cedar (admins)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from api.graphql.context import context_of, run_use_case, viewer_of
from api.graphql.paging import DEFAULT_PAGE, First, Offset, window
from api.graphql.types_flows import AccessFlow, FlowFinding
from api.graphql.types_forbid import ForbidRule
from broker import flow_reports


@strawberry.type
class FlowQueries:
    @strawberry.field(description="Every access flow in force, by key.")
    async def access_flows(
        self, info: Info[Any, Any], first: First = DEFAULT_PAGE, offset: Offset = 0
    ) -> list[AccessFlow]:
        span = window(first, offset)
        found = await run_use_case(
            flow_reports.access_flows, context_of(info).services, viewer=viewer_of(info).key
        )
        return [AccessFlow.of(f) for f in found[span]]

    @strawberry.field(description="One access flow.")
    async def access_flow(self, info: Info[Any, Any], key: str) -> AccessFlow:
        found = await run_use_case(
            flow_reports.access_flow, context_of(info).services, viewer=viewer_of(info).key, key=key
        )
        return AccessFlow.of(found)

    @strawberry.field(description="Flows that allow nothing, and flows another flow shadows.")
    async def flow_findings(self, info: Info[Any, Any]) -> list[FlowFinding]:
        found = await run_use_case(
            flow_reports.flow_findings, context_of(info).services, viewer=viewer_of(info).key
        )
        return [FlowFinding.of(f) for f in found]

    @strawberry.field(description="The Cedar a flow compiles to, read-only (empty: disabled).")
    async def compiled_flow(self, info: Info[Any, Any], key: str) -> str:
        text: str = await run_use_case(
            flow_reports.compiled_flow,
            context_of(info).services,
            viewer=viewer_of(info).key,
            key=key,
        )
        return text

    @strawberry.field(description="The admin-wide forbid rules in force, by key.")
    async def forbid_rules(
        self, info: Info[Any, Any], first: First = DEFAULT_PAGE, offset: Offset = 0
    ) -> list[ForbidRule]:
        span = window(first, offset)
        found = await run_use_case(
            flow_reports.forbid_rules, context_of(info).services, viewer=viewer_of(info).key
        )
        return [ForbidRule.of(r) for r in found[span]]
