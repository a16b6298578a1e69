"""GraphQL object types, built from graph nodes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import strawberry

from graph import Node
from policies.flows import AccessFlow as Flow


def _time(value: Any) -> datetime | None:
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

    @classmethod
    def of(cls, node: Node) -> AccessRequest:
        p = node.props
        return cls(
            id=strawberry.ID(node.key),
            requester=str(p["requester"]),
            resource=str(p["resource"]),
            flow=str(p.get("flow", "")),
            state=str(p["state"]),
            permissions=list(p.get("permissions") or []),
            duration_minutes=int(p.get("duration_minutes") or 0),
            justification=str(p.get("justification", "")),
            created_at=_time(p.get("created_at")),
            decided_by=p.get("decided_by"),
            granted_at=_time(p.get("granted_at")),
            expires_at=_time(p.get("expires_at")),
            ended_at=_time(p.get("ended_at")),
            reason=p.get("reason"),
        )


@strawberry.type
class AccessFlow:
    key: str
    name: str
    requestor_users: list[str]
    requestor_groups: list[str]
    everyone: bool
    integrations: list[str]
    resources: list[str]
    permissions: list[str]
    max_duration_minutes: int
    justification_required: bool
    approvers: list[str]
    approver_groups: list[str]
    trigger: str
    enabled: bool

    @classmethod
    def of(cls, flow: Flow) -> AccessFlow:
        return cls(
            key=flow.key,
            name=flow.name,
            requestor_users=list(flow.requestor_users),
            requestor_groups=list(flow.requestor_groups),
            everyone=flow.everyone,
            integrations=list(flow.integrations),
            resources=list(flow.resources),
            permissions=list(flow.permissions),
            max_duration_minutes=flow.max_duration_minutes,
            justification_required=flow.justification_required,
            approvers=list(flow.approvers),
            approver_groups=list(flow.approver_groups),
            trigger=flow.trigger,
            enabled=flow.enabled,
        )


@strawberry.input
class AccessFlowInput:
    key: str
    name: str
    requestor_users: list[str] = strawberry.field(default_factory=list)
    requestor_groups: list[str] = strawberry.field(default_factory=list)
    everyone: bool = False
    integrations: list[str] = strawberry.field(default_factory=list)
    resources: list[str] = strawberry.field(default_factory=list)
    permissions: list[str] = strawberry.field(default_factory=lambda: ["read"])
    max_duration_minutes: int = 60
    justification_required: bool = False
    approvers: list[str] = strawberry.field(default_factory=list)
    approver_groups: list[str] = strawberry.field(default_factory=list)
    trigger: str = "portal"
    enabled: bool = True

    def to_flow(self) -> Flow:
        return Flow.from_dict(strawberry.asdict(self))


@strawberry.input
class RequestAccessInput:
    resource: str
    permissions: list[str] = strawberry.field(default_factory=lambda: ["read"])
    duration_minutes: int = 60
    justification: str = ""
