"""Admin changes: integrations (config in, never out), user roles, disabling users."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from api.graphql.context import context_of, run_use_case, viewer_of
from api.graphql.types import User
from api.graphql.types_admin import Integration, IntegrationInput
from broker import disable_user, save_integration, set_user_role


@strawberry.type
class AdminMutations:
    @strawberry.mutation(description="Create or change an integration; its config is sealed.")
    async def save_integration(
        self, info: Info[Any, Any], integration: IntegrationInput
    ) -> Integration:
        node = await run_use_case(
            save_integration,
            context_of(info).services,
            actor=viewer_of(info).key,
            key=integration.key,
            name=integration.name,
            type=integration.type,
            config=integration.config,
            tags=integration.tags,
        )
        return Integration.of(node)

    @strawberry.mutation(description="Make a user an admin, grantee or auditor.")
    async def set_user_role(self, info: Info[Any, Any], user: str, role: str) -> User:
        node = await run_use_case(
            set_user_role,
            context_of(info).services,
            actor=viewer_of(info).key,
            user=user,
            role=role,
        )
        return User.of(node)

    @strawberry.mutation(description="Disable a user; their grants are revoked. Returns those.")
    async def disable_user(
        self, info: Info[Any, Any], user: str, reason: str = ""
    ) -> list[strawberry.ID]:
        revoked = await run_use_case(
            disable_user,
            context_of(info).services,
            actor=viewer_of(info).key,
            user=user,
            reason=reason,
        )
        return [strawberry.ID(key) for key in revoked]
