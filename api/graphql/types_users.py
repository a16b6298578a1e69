"""GraphQL types of people: a user as the user list shows them, a page of them, and the
invitation input."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.graphql.types import time_of
from broker import UserPage, UserView


@strawberry.type(
    description="A person: status INVITED, ACTIVE or DISABLED; source invite, "
    "sso, scim, demo or sync."
)
class Person:
    email: str
    full_name: str
    phone: str | None
    role: str
    status: str
    source: str
    groups: list[str]
    manager: str | None
    last_sign_in_at: datetime | None

    @classmethod
    def of(cls, view: UserView) -> Person:
        p = view.user.props
        return cls(
            email=view.user.key,
            full_name=view.full_name,
            phone=p.get("phone"),
            role=str(p.get("role", "")),
            status=view.status,
            source=view.source,
            groups=list(view.groups),
            manager=view.manager,
            last_sign_in_at=time_of(p.get("last_sign_in_at")),
        )


@strawberry.type(
    name="UserPage", description="Users by email; pass endCursor as `after` for the next page."
)
class UserPageResult:
    users: list[Person]
    end_cursor: str | None
    has_next_page: bool

    @classmethod
    def of(cls, page: UserPage) -> UserPageResult:
        return cls(
            users=[Person.of(v) for v in page.users],
            end_cursor=page.end_cursor,
            has_next_page=page.has_next_page,
        )


@strawberry.input(description="Whom to invite: they get a mail with a single-use link.")
class InviteUserInput:
    email: str
    full_name: str
    role: str = strawberry.field(description="admin, grantee or auditor")
    phone: str | None = strawberry.field(default=None, description="E.164, e.g. +14155550123")
