"""After the grant: give back or revoke, extend, and fulfil manual tasks."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from api.graphql.context import context_of, run_use_case, viewer_of
from api.graphql.types import AccessRequest
from api.graphql.types_admin import Task
from broker import complete_task, extend_grant, revoke_grant, revoke_grants


@strawberry.type
class GrantMutations:
    @strawberry.mutation(description="Give your access back early, or revoke it (admins).")
    async def revoke_grant(
        self, info: Info[Any, Any], id: strawberry.ID, reason: str = ""
    ) -> AccessRequest:
        node = await run_use_case(
            revoke_grant,
            context_of(info).services,
            actor=viewer_of(info).key,
            request=str(id),
            reason=reason,
        )
        return AccessRequest.of(node)

    @strawberry.mutation(description="Revoke every grant of a user, or on a resource (admins).")
    async def revoke_grants(
        self,
        info: Info[Any, Any],
        identity: str | None = None,
        resource: str | None = None,
        reason: str = "",
    ) -> list[strawberry.ID]:
        revoked = await run_use_case(
            revoke_grants,
            context_of(info).services,
            actor=viewer_of(info).key,
            identity=identity,
            resource=resource,
            reason=reason,
        )
        return [strawberry.ID(key) for key in revoked]

    @strawberry.mutation(description="Extend a grant within its flow's limits.")
    async def extend_grant(
        self, info: Info[Any, Any], id: strawberry.ID, minutes: int
    ) -> AccessRequest:
        node = await run_use_case(
            extend_grant,
            context_of(info).services,
            actor=viewer_of(info).key,
            request=str(id),
            minutes=minutes,
        )
        return AccessRequest.of(node)

    @strawberry.mutation(description="Mark a manual task you are assigned as done.")
    async def complete_task(self, info: Info[Any, Any], id: strawberry.ID, note: str = "") -> Task:
        node = await run_use_case(
            complete_task,
            context_of(info).services,
            actor=viewer_of(info).key,
            task=str(id),
            note=note,
        )
        return Task.of(node)
