"""GraphQL types of API tokens: never the hash; the token itself only once, when issued."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.graphql.types import time_of
from graph import Node


@strawberry.type
class ApiToken:
    key: str
    owner: str
    name: str
    created_at: datetime | None
    revoked: bool

    @classmethod
    def of(cls, node: Node) -> ApiToken:
        p = node.props
        return cls(
            key=node.key,
            owner=str(p.get("owner", "")),
            name=str(p.get("name", "")),
            created_at=time_of(p.get("created_at")),
            revoked=bool(p.get("revoked")),
        )


@strawberry.type(description="A new token: `token` is shown this once and stored only hashed.")
class IssuedToken:
    token: str
    api_token: ApiToken
