"""The MFA policy, read by admins and auditors (`viewUsers`, asked in the broker)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from api.graphql.context import context_of, run_use_case, viewer_of
from broker import MfaPolicy as Policy
from broker import mfa_policy


@strawberry.type(description="Whether admins must have a TOTP second factor.")
class MfaPolicy:
    require_for_admins: bool = strawberry.field(
        description="admins who sign in with a password can only enrol in MFA until they have"
    )
    updated_at: float | None
    updated_by: str | None

    @classmethod
    def of(cls, policy: Policy) -> MfaPolicy:
        return cls(
            require_for_admins=policy.require_for_admins,
            updated_at=policy.updated_at,
            updated_by=policy.updated_by,
        )


@strawberry.type
class MfaQueries:
    @strawberry.field(description="The MFA policy (admins and auditors).")
    async def mfa_policy(self, info: Info[Any, Any]) -> MfaPolicy:
        found = await run_use_case(mfa_policy, context_of(info).services, actor=viewer_of(info).key)
        return MfaPolicy.of(found)
