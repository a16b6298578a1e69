"""GraphQL types of stored webhooks: where they point, never the URL's path nor the secret
(that only once, when created)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.graphql.types import time_of
from graph import Node


@strawberry.type(description="A notification webhook an admin keeps.")
class Webhook:
    key: str
    name: str
    target: str = strawberry.field(
        description="Scheme, host and port of its URL: the path may be a secret itself."
    )
    events: list[str] = strawberry.field(description="The notice kinds it receives.")
    enabled: bool
    created_at: datetime | None
    updated_at: datetime | None

    @classmethod
    def of(cls, node: Node) -> Webhook:
        p = node.props
        return cls(
            key=node.key,
            name=str(p.get("name", "")),
            target=str(p.get("target", "")),
            events=[str(e) for e in p.get("events", [])],
            enabled=bool(p.get("enabled")),
            created_at=time_of(p.get("created_at")),
            updated_at=time_of(p.get("updated_at")),
        )


@strawberry.type(
    description="A saved webhook; `secret` (to check the X-Keyturn-Signature of deliveries) "
    "is given when it is created, this once, and null after a change."
)
class SavedWebhook:
    webhook: Webhook
    secret: str | None
