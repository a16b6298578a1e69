"""The GraphQL schema: thin resolvers that call one broker use case each."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaxTokensLimiter, QueryDepthLimiter
from strawberry.types import Info

import broker
from api.graphql.context import authorized_viewer, context_of, run_use_case, viewer_of
from api.graphql.types import AccessFlow, AccessFlowInput, AccessRequest, RequestAccessInput, User
from broker.queries import active_grants, my_requests, pending_approvals
from graph import Node
from policies.api_authz import Target
from policies.flows import FlowInvalid

MAX_QUERY_DEPTH = 10
MAX_QUERY_TOKENS = 2000


@strawberry.type
class Query:
    @strawberry.field(description="The signed-in user.")
    def me(self, info: Info[Any, Any]) -> User:
        return User.of(_self_viewer(info))

    @strawberry.field(description="Every request the signed-in user made, newest first.")
    async def my_requests(self, info: Info[Any, Any]) -> list[AccessRequest]:
        me = _self_viewer(info)
        found = await run_use_case(my_requests, context_of(info).services, user=me.key)
        return [AccessRequest.of(n) for n in found]

    @strawberry.field(description="Grants in force now: yours, or everyone's for admins.")
    async def active_grants(
        self, info: Info[Any, Any], everyone: bool = False
    ) -> list[AccessRequest]:
        if everyone:
            me = authorized_viewer(info, "viewAllGrants", Target.api())
        else:
            me = _self_viewer(info)
        services = context_of(info).services
        found = await run_use_case(active_grants, services, viewer=me.key, everyone=everyone)
        return [AccessRequest.of(n) for n in found]

    @strawberry.field(description="Pending requests the signed-in user may approve.")
    async def pending_approvals(self, info: Info[Any, Any]) -> list[AccessRequest]:
        # Each request listed has passed an `approve` decision in the broker.
        me = _self_viewer(info)
        found = await run_use_case(pending_approvals, context_of(info).services, approver=me.key)
        return [AccessRequest.of(n) for n in found]


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create or replace an access flow (admins).")
    async def create_access_flow(self, info: Info[Any, Any], flow: AccessFlowInput) -> AccessFlow:
        me = authorized_viewer(info, "manageFlows", Target.access_flow(flow.key))
        try:
            parsed = flow.to_flow()
        except FlowInvalid as bad:
            raise GraphQLError(str(bad), extensions={"code": "invalid_input"}) from bad
        saved = await run_use_case(
            broker.save_access_flow, context_of(info).services, actor=me.key, flow=parsed
        )
        return AccessFlow.of(saved)

    @strawberry.mutation(description="Ask for access; the access flows decide.")
    async def request_access(
        self, info: Info[Any, Any], request: RequestAccessInput
    ) -> AccessRequest:
        me = authorized_viewer(info, "requestAccess", Target.api())
        node = await run_use_case(
            broker.request_access,
            context_of(info).services,
            requester=me.key,
            resource=request.resource,
            permissions=request.permissions,
            duration_minutes=request.duration_minutes,
            justification=request.justification,
        )
        return AccessRequest.of(node)

    # approve/reject: the broker asks Cedar's `approve`/`reject` with the flow's approvers.
    @strawberry.mutation(description="Approve a pending request you are an approver of.")
    async def approve_request(
        self, info: Info[Any, Any], id: strawberry.ID, reason: str = ""
    ) -> AccessRequest:
        me = viewer_of(info)
        node = await run_use_case(
            broker.approve_request,
            context_of(info).services,
            approver=me.key,
            request=str(id),
            reason=reason,
        )
        return AccessRequest.of(node)

    @strawberry.mutation(description="Reject a pending request you are an approver of.")
    async def reject_request(
        self, info: Info[Any, Any], id: strawberry.ID, reason: str = ""
    ) -> AccessRequest:
        me = viewer_of(info)
        node = await run_use_case(
            broker.reject_request,
            context_of(info).services,
            approver=me.key,
            request=str(id),
            reason=reason,
        )
        return AccessRequest.of(node)


def _self_viewer(info: Info[Any, Any]) -> Node:
    """The signed-in caller, allowed to see their own requests, grants and approvals."""
    return authorized_viewer(info, "viewSelf", Target.user(viewer_of(info).key))


schema = strawberry.Schema(
    query=Query,
    mutation=Mutation,
    extensions=[
        lambda: QueryDepthLimiter(max_depth=MAX_QUERY_DEPTH),
        lambda: MaxTokensLimiter(max_token_count=MAX_QUERY_TOKENS),
    ],
)
