"""Access links for external requesters: create, disable, rotate (admins, `manageFlows`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import strawberry
from strawberry.types import Info

from api.graphql.context import context_of, run_use_case, viewer_of
from api.graphql.types_links import AccessLink, IssuedAccessLink
from broker import create_access_link, disable_access_link, rotate_access_link


@strawberry.type
class LinkMutations:
    @strawberry.mutation(
        description="Create an access link to a flow that admits external requesters; its "
        "`url` is shown once. Empty `allowedEmailDomains`: any address; no `maxUses`: any "
        "number of requests."
    )
    async def create_access_link(
        self,
        info: Info[Any, Any],
        flow: str,
        expires_at: datetime,
        max_uses: int | None = None,
        allowed_email_domains: list[str] | None = None,
    ) -> IssuedAccessLink:
        if expires_at.tzinfo is None:  # a time without a zone is read as UTC
            expires_at = expires_at.replace(tzinfo=UTC)
        issued = await run_use_case(
            create_access_link,
            context_of(info).services,
            actor=viewer_of(info).key,
            flow=flow,
            expires_at=expires_at.timestamp(),
            max_uses=max_uses,
            allowed_domains=allowed_email_domains or [],
        )
        return IssuedAccessLink.of(info, issued)

    @strawberry.mutation(description="Stop a link taking codes and requests; made ones go on.")
    async def disable_access_link(self, info: Info[Any, Any], id: str) -> AccessLink:
        node = await run_use_case(
            disable_access_link, context_of(info).services, actor=viewer_of(info).key, link=id
        )
        return AccessLink.of(node)

    @strawberry.mutation(description="Give a link a new address; the old one stops at once.")
    async def rotate_access_link(self, info: Info[Any, Any], id: str) -> IssuedAccessLink:
        issued = await run_use_case(
            rotate_access_link, context_of(info).services, actor=viewer_of(info).key, link=id
        )
        return IssuedAccessLink.of(info, issued)
