"""GraphQL object types, built from graph nodes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import strawberry
from strawberry.types import Info

from api.graphql.context import context_of
from graph import Node


def time_of(value: Any) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(float(value), UTC)


@strawberry.type
class User:
    key: str
    email: str
    name: str
    role: str

    @classmethod
    def of(cls, node: Node) -> User:
        p = node.props
        return cls(
            key=node.key,
            email=str(p.get("email", "")),
            name=str(p.get("name", "")),
            role=str(p.get("role", "")),
        )


@strawberry.type
class AccessRequest:
    id: strawberry.ID
    requester: str
    beneficiary: str
    resource: str
    flow: str
    state: str
    permissions: list[str]
    duration_minutes: int
    justification: str
    created_at: datetime | None
    decided_by: str | None
    granted_at: datetime | None
    expires_at: datetime | None
    ended_at: datetime | None
    reason: str | None
    starts_at: datetime | None
    pending_until: datetime | None
    approval_step: int | None
    extensions: int
    revoked_by: str | None
    bundle: str | None
    batch: str | None
    previous: str | None
    access_link: str | None = strawberry.field(
        description="The access link an external requester asked through; null otherwise."
    )

    @classmethod
    def of(cls, node: Node) -> AccessRequest:
        p = node.props
        return cls(
            id=strawberry.ID(node.key),
            requester=str(p["requester"]),
            beneficiary=str(p.get("beneficiary") or p["requester"]),
            resource=str(p["resource"]),
            flow=str(p.get("flow", "")),
            state=str(p["state"]),
            permissions=list(p.get("permissions") or []),
            duration_minutes=int(p.get("duration_minutes") or 0),
            justification=str(p.get("justification", "")),
            created_at=time_of(p.get("created_at")),
            decided_by=p.get("decided_by"),
            granted_at=time_of(p.get("granted_at")),
            expires_at=time_of(p.get("expires_at")),
            ended_at=time_of(p.get("ended_at")),
            reason=p.get("reason"),
            starts_at=time_of(p.get("starts_at")),
            pending_until=time_of(p.get("pending_until")),
            approval_step=p.get("approval_step"),
            extensions=int(p.get("extensions") or 0),
            revoked_by=p.get("revoked_by"),
            bundle=p.get("bundle"),
            batch=p.get("batch"),
            previous=p.get("previous"),
            access_link=p.get("access_link"),
        )

    @strawberry.field(
        description="Whether approving needs `mfaCode`, a fresh authenticator code: the "
        "request's flow has `approverMfa`."
    )
    def approver_mfa(self, info: Info[Any, Any]) -> bool:
        # The engine holds every flow in force (approveRequest reads the same flows); a
        # deleted flow lets nobody decide, so no code is asked for.
        flow = context_of(info).services.engine.flows.get(self.flow)
        return bool(flow and flow.approver_mfa)


@strawberry.input
class RequestAccessInput:
    resource: str
    permissions: list[str] = strawberry.field(default_factory=lambda: ["read"])
    duration_minutes: int | None = strawberry.field(
        default=None, description="left out: the flow's default duration"
    )
    justification: str = ""
    beneficiary: str | None = strawberry.field(
        default=None, description="whom the access is for, when not yourself"
    )
    starts_at: datetime | None = strawberry.field(
        default=None, description="a later start; left out: at once"
    )


def seconds_of(moment: datetime | None) -> float | None:
    """Unix seconds of a GraphQL DateTime; a time without a zone is UTC."""
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
