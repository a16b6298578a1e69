"""People, changed by admins: invitations, name and phone, enabling and deleting."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from api.graphql.context import context_of, run_use_case, viewer_of
from api.graphql.types_users import InviteUserInput, Person
from broker import (
    delete_user,
    enable_user,
    invite_user,
    resend_invite,
    revoke_invite,
    update_user,
    user_view,
)
from graph import Node


async def _person(info: Info[Any, Any], node: Node) -> Person:
    return Person.of(await run_use_case(user_view, context_of(info).services, node))


@strawberry.type
class UserMutations:
    @strawberry.mutation(description="Invite a person: they are mailed a single-use link.")
    async def invite_user(self, info: Info[Any, Any], input: InviteUserInput) -> Person:
        node = await run_use_case(
            invite_user,
            context_of(info).services,
            actor=viewer_of(info).key,
            email=input.email,
            full_name=input.full_name,
            role=input.role,
            phone=input.phone,
        )
        return await _person(info, node)

    @strawberry.mutation(description="Mail an invited person a fresh link; the old one ends.")
    async def resend_invite(self, info: Info[Any, Any], email: str) -> Person:
        node = await run_use_case(
            resend_invite, context_of(info).services, actor=viewer_of(info).key, email=email
        )
        return await _person(info, node)

    @strawberry.mutation(description="Withdraw an invitation: its link stops working.")
    async def revoke_invite(self, info: Info[Any, Any], email: str) -> Person:
        node = await run_use_case(
            revoke_invite, context_of(info).services, actor=viewer_of(info).key, email=email
        )
        return await _person(info, node)

    @strawberry.mutation(description='Change a user\'s full name and/or phone ("" removes it).')
    async def update_user(
        self,
        info: Info[Any, Any],
        email: str,
        full_name: str | None = None,
        phone: str | None = None,
    ) -> Person:
        node = await run_use_case(
            update_user,
            context_of(info).services,
            actor=viewer_of(info).key,
            user=email,
            full_name=full_name,
            phone=phone,
        )
        return await _person(info, node)

    @strawberry.mutation(description="Enable a disabled user again.")
    async def enable_user(self, info: Info[Any, Any], email: str) -> Person:
        node = await run_use_case(
            enable_user, context_of(info).services, actor=viewer_of(info).key, user=email
        )
        return await _person(info, node)

    @strawberry.mutation(
        description="Delete a user: their grants are revoked (returned) and requests "
        "cancelled; the activity log keeps their history."
    )
    async def delete_user(self, info: Info[Any, Any], email: str) -> list[strawberry.ID]:
        revoked = await run_use_case(
            delete_user, context_of(info).services, actor=viewer_of(info).key, user=email
        )
        return [strawberry.ID(key) for key in revoked]
