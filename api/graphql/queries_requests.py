"""Queries about the signed-in user: profile, own requests and grants, approval queue."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from api.graphql.context import authorized_viewer, context_of, run_use_case, viewer_of
from api.graphql.paging import DEFAULT_PAGE, First, Offset, window
from api.graphql.types import AccessRequest, User
from broker.queries import active_grants, my_requests, pending_approvals
from graph import Node
from policies.api_authz import Target


@strawberry.type
class RequestQueries:
    @strawberry.field(description="The signed-in user.")
    def me(self, info: Info[Any, Any]) -> User:
        return User.of(self_viewer(info))

    @strawberry.field(description="Every request the signed-in user made, newest first.")
    async def my_requests(
        self, info: Info[Any, Any], first: First = DEFAULT_PAGE, offset: Offset = 0
    ) -> list[AccessRequest]:
        span = window(first, offset)
        me = self_viewer(info)
        found = await run_use_case(my_requests, context_of(info).services, user=me.key)
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
        if everyone:
            me = authorized_viewer(info, "viewAllGrants", Target.api())
        else:
            me = self_viewer(info)
        services = context_of(info).services
        found = await run_use_case(active_grants, services, viewer=me.key, everyone=everyone)
        return [AccessRequest.of(n) for n in found[span]]

    @strawberry.field(description="Pending requests the signed-in user may approve.")
    async def pending_approvals(
        self, info: Info[Any, Any], first: First = DEFAULT_PAGE, offset: Offset = 0
    ) -> list[AccessRequest]:
        # Each request listed has passed an `approve` decision in the broker.
        span = window(first, offset)
        me = self_viewer(info)
        found = await run_use_case(pending_approvals, context_of(info).services, approver=me.key)
        return [AccessRequest.of(n) for n in found[span]]


def self_viewer(info: Info[Any, Any]) -> Node:
    """The signed-in caller, allowed to see their own requests, grants and approvals."""
    return authorized_viewer(info, "viewSelf", Target.user(viewer_of(info).key))
