"""Queries about the signed-in user: profile, own requests and grants, approval queue.

The broker asks the API policies (`viewSelf`, `viewAllGrants`); these pass the caller."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from api.graphql.context import context_of, run_use_case, viewer_of
from api.graphql.paging import DEFAULT_PAGE, First, Offset, window
from api.graphql.types import AccessRequest, User
from broker import active_grants, my_profile, my_requests, pending_approvals


@strawberry.type
class RequestQueries:
    @strawberry.field(description="The signed-in user.")
    async def me(self, info: Info[Any, Any]) -> User:
        found = await run_use_case(my_profile, context_of(info).services, viewer=_me(info))
        return User.of(found)

    @strawberry.field(description="Every request the signed-in user made, newest first.")
    async def my_requests(
        self, info: Info[Any, Any], first: First = DEFAULT_PAGE, offset: Offset = 0
    ) -> list[AccessRequest]:
        span = window(first, offset)
        found = await run_use_case(my_requests, context_of(info).services, user=_me(info))
        return [AccessRequest.of(n) for n in found[span]]

    @strawberry.field(description="Grants in force now: yours, or everyone's for admins.")
    async def active_grants(
        self,
        info: Info[Any, Any],
        everyone: bool = False,
        first: First = DEFAULT_PAGE,
        offset: Offset = 0,
    ) -> list[AccessRequest]:
        span = window(first, offset)
        services = context_of(info).services
        found = await run_use_case(active_grants, services, viewer=_me(info), everyone=everyone)
        return [AccessRequest.of(n) for n in found[span]]

    @strawberry.field(description="Pending requests the signed-in user may approve.")
    async def pending_approvals(
        self, info: Info[Any, Any], first: First = DEFAULT_PAGE, offset: Offset = 0
    ) -> list[AccessRequest]:
        # Each request listed has passed an `approve` decision in the broker.
        span = window(first, offset)
        services = context_of(info).services
        found = await run_use_case(pending_approvals, services, approver=_me(info))
        return [AccessRequest.of(n) for n in found[span]]


def _me(info: Info[Any, Any]) -> str:
    return viewer_of(info).key
