"""GraphQL types of access links: never the token's hash; the token itself only once, in
the address returned when the link is created or rotated."""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from api.graphql.types import time_of
from broker import IssuedLink
from graph import Node


@strawberry.type(description="A link external requesters open to ask for what its flow offers.")
class AccessLink:
    id: str
    flow: str
    expires_at: datetime | None
    max_uses: int | None = strawberry.field(description="Requests it may carry; null: any.")
    uses: int
    allowed_email_domains: list[str] = strawberry.field(
        description="Email domains that may use it; empty: any address."
    )
    disabled: bool
    created_at: datetime | None
    created_by: str
    rotated_at: datetime | None

    @classmethod
    def of(cls, node: Node) -> AccessLink:
        p = node.props
        most = p.get("max_uses")
        return cls(
            id=node.key,
            flow=str(p.get("flow", "")),
            expires_at=time_of(p.get("expires_at")),
            max_uses=None if most is None else int(str(most)),
            uses=int(str(p.get("uses") or 0)),
            allowed_email_domains=[str(d) for d in p.get("allowed_domains") or []],
            disabled=bool(p.get("disabled")),
            created_at=time_of(p.get("created_at")),
            created_by=str(p.get("created_by", "")),
            rotated_at=time_of(p.get("rotated_at")),
        )


@strawberry.type(description="A new or rotated link: `url` is shown this once, stored hashed.")
class IssuedAccessLink:
    url: str
    access_link: AccessLink

    @classmethod
    def of(cls, info: Info[Any, Any], issued: IssuedLink) -> IssuedAccessLink:
        return cls(url=_base_url(info) + issued.path, access_link=AccessLink.of(issued.link))


def _base_url(info: Info[Any, Any]) -> str:
    """KEYTURN_PUBLIC_URL (where people reach Keyturn), else the address this call came to."""
    configured = os.environ.get("KEYTURN_PUBLIC_URL", "").strip()
    if configured:
        return configured.rstrip("/")
    request = info.context.get("request")
    return str(request.base_url).rstrip("/") if request is not None else ""
