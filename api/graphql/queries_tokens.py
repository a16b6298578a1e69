"""API tokens, read: one's own, or anybody's for admins (`issueToken`)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from api.graphql.context import context_of, run_use_case, viewer_of
from api.graphql.paging import DEFAULT_PAGE, First, Offset, window
from api.graphql.types_tokens import ApiToken
from broker import list_tokens


@strawberry.type
class TokenQueries:
    @strawberry.field(description="A user's API tokens (yours when `owner` is left out).")
    async def api_tokens(
        self,
        info: Info[Any, Any],
        owner: str | None = None,
        first: First = DEFAULT_PAGE,
        offset: Offset = 0,
    ) -> list[ApiToken]:
        span = window(first, offset)
        me = viewer_of(info).key
        found = await run_use_case(
            list_tokens, context_of(info).services, actor=me, owner=owner or me
        )
        return [ApiToken.of(n) for n in found[span]]
