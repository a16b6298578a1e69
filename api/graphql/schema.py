"""The GraphQL schema: thin resolvers that call one broker use case each."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaxTokensLimiter, QueryDepthLimiter
from strawberry.types import Info

import broker
from api.graphql.context import context_of, run_use_case, viewer_of
from api.graphql.types import AccessFlow, AccessFlowInput, AccessRequest, RequestAccessInput, User
from broker.queries import active_grants, my_requests, pending_approvals
from policies.flows import FlowInvalid

MAX_QUERY_DEPTH = 10
MAX_QUERY_TOKENS = 2000


@strawberry.type
class Query:
    @strawberry.field(description="The signed-in user.")
    def me(self, info: Info[Any, Any]) -> User:
        return User.of(viewer_of(info))

    @strawberry.field(description="Every request the signed-in user made, newest first.")
    async def my_requests(self, info: Info[Any, Any]) -> list[AccessRequest]:
        me = viewer_of(info)
        found = await run_use_case(my_requests, context_of(info).services, user=me.key)
        return [AccessRequest.of(n) for n in found]

    @strawberry.field(description="Grants in force now: yours, or everyone's for admins.")
    async def active_grants(
        self, info: Info[Any, Any], everyone: bool = False
    ) -> list[AccessRequest]:
        me = viewer_of(info)
        services = context_of(info).services
        found = await run_use_case(active_grants, services, viewer=me.key, everyone=everyone)
        return [AccessRequest.of(n) for n in found]

    @strawberry.field(description="Pending requests the signed-in user may approve.")
    async def pending_approvals(self, info: Info[Any, Any]) -> list[AccessRequest]:
        me = viewer_of(info)
        found = await run_use_case(pending_approvals, context_of(info).services, approver=me.key)
        return [AccessRequest.of(n) for n in found]


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create or replace an access flow (admins).")
    async def create_access_flow(self, info: Info[Any, Any], flow: AccessFlowInput) -> AccessFlow:
        me = viewer_of(info)
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
        me = viewer_of(info)
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


schema = strawberry.Schema(
    query=Query,
    mutation=Mutation,
    extensions=[
        lambda: QueryDepthLimiter(max_depth=MAX_QUERY_DEPTH),
        lambda: MaxTokensLimiter(max_token_count=MAX_QUERY_TOKENS),
    ],
)
