"""Asking for access and deciding requests. The broker asks the API policies (who may call)
and the access flows (what may be granted); resolvers pass the caller and map errors."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

import broker
from api.graphql.context import context_of, run_use_case, viewer_of
from api.graphql.types import AccessRequest, RequestAccessInput, seconds_of
from broker import cancel_request, request_again


@strawberry.type
class RequestMutations:
    @strawberry.mutation(description="Ask for access; the access flows decide.")
    async def request_access(
        self, info: Info[Any, Any], request: RequestAccessInput
    ) -> AccessRequest:
        node = await run_use_case(
            broker.request_access,
            context_of(info).services,
            requester=viewer_of(info).key,
            resource=request.resource,
            permissions=request.permissions,
            duration_minutes=request.duration_minutes,
            justification=request.justification,
            beneficiary=request.beneficiary,
            starts_at=seconds_of(request.starts_at),
        )
        return AccessRequest.of(node)

    @strawberry.mutation(description="Cancel a pending request (the requester or an admin).")
    async def cancel_request(self, info: Info[Any, Any], id: strawberry.ID) -> AccessRequest:
        node = await run_use_case(
            cancel_request, context_of(info).services, actor=viewer_of(info).key, request=str(id)
        )
        return AccessRequest.of(node)

    @strawberry.mutation(description="Ask again for what a finished request of yours asked.")
    async def request_again(
        self,
        info: Info[Any, Any],
        id: strawberry.ID,
        duration_minutes: int | None = None,
        justification: str | None = None,
    ) -> AccessRequest:
        node = await run_use_case(
            request_again,
            context_of(info).services,
            requester=viewer_of(info).key,
            previous=str(id),
            duration_minutes=duration_minutes,
            justification=justification,
        )
        return AccessRequest.of(node)

    # approve/reject: the broker asks Cedar's `approve`/`reject` with the flow's approvers.
    @strawberry.mutation(
        description="Approve a pending request you are an approver of; a flow with "
        "`approverMfa` needs `mfaCode`, a fresh code from your authenticator app."
    )
    async def approve_request(
        self,
        info: Info[Any, Any],
        id: strawberry.ID,
        reason: str = "",
        mfa_code: str | None = None,
    ) -> AccessRequest:
        node = await run_use_case(
            broker.approve_request,
            context_of(info).services,
            approver=viewer_of(info).key,
            request=str(id),
            reason=reason,
            mfa_code=mfa_code,
        )
        return AccessRequest.of(node)

    @strawberry.mutation(description="Reject a pending request you are an approver of.")
    async def reject_request(
        self, info: Info[Any, Any], id: strawberry.ID, reason: str = ""
    ) -> AccessRequest:
        node = await run_use_case(
            broker.reject_request,
            context_of(info).services,
            approver=viewer_of(info).key,
            request=str(id),
            reason=reason,
        )
        return AccessRequest.of(node)
