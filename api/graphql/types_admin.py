"""GraphQL types of manual tasks, access details and integrations (config never shown)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from api.graphql.types import time_of
from broker import public_settings
from graph import Node


@strawberry.type(description="Work for a fulfiller: grant or revoke a request by hand.")
class Task:
    id: strawberry.ID
    request: str
    integration: str
    action: str
    state: str
    assignees: list[str]
    created_at: datetime | None
    done_at: datetime | None
    done_by: str | None
    note: str | None

    @classmethod
    def of(cls, node: Node) -> Task:
        p = node.props
        return cls(
            id=strawberry.ID(node.key),
            request=str(p.get("request", "")),
            integration=str(p.get("integration", "")),
            action=str(p.get("action", "")),
            state=str(p.get("state", "")),
            assignees=list(p.get("assignees") or []),
            created_at=time_of(p.get("created_at")),
            done_at=time_of(p.get("done_at")),
            done_by=p.get("done_by"),
            note=p.get("note"),
        )


@strawberry.type
class AccessDetail:
    name: str
    value: str


@strawberry.type(description="An integration; its sealed config is never sent back.")
class Integration:
    key: str
    name: str
    type: str
    tags: list[str]
    settings: JSON = strawberry.field(
        description="the settings that are no secret (postgresql: host, port, admin login, "
        "role mapping, where the admin password comes from); never a password"
    )
    last_sync_at: datetime | None = strawberry.field(description="the last discovery")
    sync_status: str | None = strawberry.field(description="`ok` or `failed`; none: never")
    sync_error: str | None = strawberry.field(description="why the last discovery failed")

    @classmethod
    def of(cls, node: Node) -> Integration:
        p = node.props
        return cls(
            key=node.key,
            name=str(p.get("name", "")),
            type=str(p.get("type", "")),
            tags=list(p.get("tags") or []),
            settings=JSON(public_settings(node)),
            last_sync_at=time_of(p.get("last_sync_at")),
            sync_status=p.get("sync_status"),
            sync_error=p.get("sync_error") or None,
        )


@strawberry.input
class IntegrationInput:
    key: str
    name: str
    type: str
    config: JSON = strawberry.field(description="depends on `type`; stored sealed")
    tags: list[str] = strawberry.field(default_factory=list)
