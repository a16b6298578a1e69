"""After the grant, read: the access details of your grant, and your manual tasks."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from api.graphql.context import context_of, run_use_case, viewer_of
from api.graphql.paging import DEFAULT_PAGE, First, Offset, window
from api.graphql.types_admin import AccessDetail, Task
from broker import access_details, my_tasks


@strawberry.type
class GrantQueries:
    @strawberry.field(description="How to use a grant you hold (its holder only).")
    async def access_details(self, info: Info[Any, Any], id: strawberry.ID) -> list[AccessDetail]:
        found = await run_use_case(
            access_details, context_of(info).services, viewer=viewer_of(info).key, request=str(id)
        )
        return [AccessDetail(name=k, value=v) for k, v in sorted(found.items())]

    @strawberry.field(description="Manual tasks assigned to you: open ones, or done ones.")
    async def my_tasks(
        self,
        info: Info[Any, Any],
        done: bool = False,
        first: First = DEFAULT_PAGE,
        offset: Offset = 0,
    ) -> list[Task]:
        span = window(first, offset)
        found = await run_use_case(
            my_tasks, context_of(info).services, viewer=viewer_of(info).key, done=done
        )
        return [Task.of(n) for n in found[span]]
