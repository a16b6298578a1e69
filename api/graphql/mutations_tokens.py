"""API tokens: issue (shown once) and revoke, each authorized by `issueToken`."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from api.graphql.context import context_of, run_use_case, viewer_of
from api.graphql.types_tokens import ApiToken, IssuedToken, TokenScope
from broker import DEFAULT_TOKEN_EXPIRY_DAYS, issue_token, revoke_token


@strawberry.type
class TokenMutations:
    @strawberry.mutation(
        description="Issue an API token for a user (yourself by default). It expires after "
        "`expiresInDays` (1-365); a `READ` token may run queries but no mutation."
    )
    async def issue_token(
        self,
        info: Info[Any, Any],
        name: str,
        owner: str | None = None,
        scope: TokenScope = TokenScope.FULL,
        expires_in_days: int = DEFAULT_TOKEN_EXPIRY_DAYS,
    ) -> IssuedToken:
        me = viewer_of(info).key
        node, token = await run_use_case(
            issue_token,
            context_of(info).services,
            actor=me,
            owner=owner or me,
            name=name,
            scope=scope.value,
            expires_in_days=expires_in_days,
        )
        return IssuedToken(token=token, api_token=ApiToken.of(node))

    @strawberry.mutation(description="Revoke an API token by its key; it stops working at once.")
    async def revoke_token(self, info: Info[Any, Any], key: str) -> ApiToken:
        node = await run_use_case(
            revoke_token, context_of(info).services, actor=viewer_of(info).key, key=key
        )
        return ApiToken.of(node)
