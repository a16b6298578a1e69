"""Access links, read by admins (`manageFlows`)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from api.graphql.context import context_of, run_use_case, viewer_of
from api.graphql.paging import DEFAULT_PAGE, First, Offset, window
from api.graphql.types_links import AccessLink
from broker import list_access_links


@strawberry.type
class LinkQueries:
    @strawberry.field(description="Access links, newest first (of `flow`, when given).")
    async def access_links(
        self,
        info: Info[Any, Any],
        flow: str | None = None,
        first: First = DEFAULT_PAGE,
        offset: Offset = 0,
    ) -> list[AccessLink]:
        span = window(first, offset)
        found = await run_use_case(
            list_access_links, context_of(info).services, actor=viewer_of(info).key, flow=flow
        )
        return [AccessLink.of(n) for n in found[span]]
