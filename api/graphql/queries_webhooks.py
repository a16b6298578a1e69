"""Stored notification webhooks, read (admins)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from api.graphql.context import context_of, run_use_case, viewer_of
from api.graphql.types_webhooks import Webhook
from broker import list_webhooks


@strawberry.type
class WebhookQueries:
    @strawberry.field(description="The notification webhooks admins keep, by key.")
    async def webhooks(self, info: Info[Any, Any]) -> list[Webhook]:
        found = await run_use_case(
            list_webhooks, context_of(info).services, actor=viewer_of(info).key
        )
        return [Webhook.of(n) for n in found]
