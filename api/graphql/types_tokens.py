"""GraphQL types of API tokens: never the hash; the token itself only once, when issued."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from api.graphql.types import time_of
from graph import Node


@strawberry.enum(
    description="What a token may do: `FULL` acts as its owner, `READ` only reads, `SCIM` "
    "(an admin's, for an identity provider) reaches /scim/v2 and nothing else."
)
class TokenScope(Enum):
    FULL = "full"
    READ = "read"
    SCIM = "scim"


@strawberry.type
class ApiToken:
    key: str
    owner: str
    name: str
    created_at: datetime | None
    revoked: bool
    scope: TokenScope
    expires_at: datetime | None = strawberry.field(
        description="When it stops working; null for a token issued before tokens expired."
    )
    last_used_at: datetime | None = strawberry.field(
        description="Its last use, recorded at most once a minute; null if never used."
    )

    @classmethod
    def of(cls, node: Node) -> ApiToken:
        p = node.props
        return cls(
            key=node.key,
            owner=str(p.get("owner", "")),
            name=str(p.get("name", "")),
            created_at=time_of(p.get("created_at")),
            revoked=bool(p.get("revoked")),
            # Tokens from before scopes existed act as their owner: full.
            scope=TokenScope(p.get("scope") or TokenScope.FULL.value),
            expires_at=time_of(p.get("expires_at")),
            last_used_at=time_of(p.get("last_used_at")),
        )


@strawberry.type(description="A new token: `token` is shown this once and stored only hashed.")
class IssuedToken:
    token: str
    api_token: ApiToken
