"""Admins set the MFA policy (`manageUsers`, asked in the broker)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from api.graphql.context import context_of, run_use_case, viewer_of
from api.graphql.queries_mfa import MfaPolicy
from broker import set_mfa_policy


@strawberry.type
class MfaMutations:
    @strawberry.mutation(
        description="Require MFA of admins who sign in with a password, or stop requiring it."
    )
    async def set_mfa_policy(self, info: Info[Any, Any], require_for_admins: bool) -> MfaPolicy:
        found = await run_use_case(
            set_mfa_policy,
            context_of(info).services,
            actor=viewer_of(info).key,
            require_for_admins=require_for_admins,
        )
        return MfaPolicy.of(found)
