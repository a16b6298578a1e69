"""Stored notification webhooks: save (the secret shown once, at creation) and delete."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from api.graphql.context import context_of, run_use_case, viewer_of
from api.graphql.types_webhooks import SavedWebhook, Webhook
from broker import delete_webhook, save_webhook


@strawberry.type
class WebhookMutations:
    @strawberry.mutation(
        description="Create a webhook (no `key`) or change one; deliveries are signed with "
        "its secret, returned only when it is created. `events` are notice kinds. A change "
        "without `url` keeps the stored one (pause or rename without knowing it)."
    )
    async def save_webhook(
        self,
        info: Info[Any, Any],
        name: str,
        events: list[str],
        url: str | None = None,
        enabled: bool = True,
        key: str | None = None,
    ) -> SavedWebhook:
        node, secret = await run_use_case(
            save_webhook,
            context_of(info).services,
            actor=viewer_of(info).key,
            name=name,
            url=url,
            events=events,
            enabled=enabled,
            key=key,
        )
        return SavedWebhook(webhook=Webhook.of(node), secret=secret)

    @strawberry.mutation(description="Delete a webhook; returns its key.")
    async def delete_webhook(self, info: Info[Any, Any], key: str) -> str:
        await run_use_case(
            delete_webhook, context_of(info).services, actor=viewer_of(info).key, key=key
        )
        return key
