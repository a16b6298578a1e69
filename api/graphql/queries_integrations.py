"""Integrations, read by admins: settings that are no secret and discovery status."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from api.graphql.context import context_of, run_use_case, viewer_of
from api.graphql.paging import DEFAULT_PAGE, First, Offset, window
from api.graphql.types_admin import Integration
from broker import get_integration, list_integrations


@strawberry.type
class IntegrationQueries:
    @strawberry.field(description="Every integration, by key (admins).")
    async def integrations(
        self, info: Info[Any, Any], first: First = DEFAULT_PAGE, offset: Offset = 0
    ) -> list[Integration]:
        span = window(first, offset)
        found = await run_use_case(
            list_integrations, context_of(info).services, actor=viewer_of(info).key
        )
        return [Integration.of(n) for n in found[span]]

    @strawberry.field(description="One integration (admins).")
    async def integration(self, info: Info[Any, Any], key: str) -> Integration:
        node = await run_use_case(
            get_integration, context_of(info).services, actor=viewer_of(info).key, key=key
        )
        return Integration.of(node)
