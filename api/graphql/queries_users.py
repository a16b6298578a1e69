"""The user list, for admins and auditors (`viewUsers`, asked in the broker)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from api.graphql.context import context_of, run_use_case, viewer_of
from api.graphql.paging import DEFAULT_PAGE, First
from api.graphql.types_users import UserPageResult
from broker import list_users


@strawberry.type
class UserQueries:
    @strawberry.field(
        description="Users by email, `first` at a time; `search` matches email and full name."
    )
    async def users(
        self,
        info: Info[Any, Any],
        first: First = DEFAULT_PAGE,
        after: str | None = None,
        search: str = "",
        role: str | None = None,
        status: str | None = None,
        source: str | None = None,
    ) -> UserPageResult:
        page = await run_use_case(
            list_users,
            context_of(info).services,
            actor=viewer_of(info).key,
            first=first,
            after=after,
            search=search,
            role=role,
            status=status,
            source=source,
        )
        return UserPageResult.of(page)
