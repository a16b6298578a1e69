"""Admin actions on integrations beyond saving: test, discover now, delete."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from api.graphql.context import context_of, run_use_case, viewer_of
from api.graphql.types_integrations import IntegrationSync, IntegrationTest
from broker import check_integration, delete_integration, sync_integration


@strawberry.type
class IntegrationMutations:
    @strawberry.mutation(
        description="Connect to the integration's target as its admin and report what "
        "Keyturn can do there; an unreachable target is a report with `ok: false`."
    )
    async def test_integration(self, info: Info[Any, Any], key: str) -> IntegrationTest:
        check = await run_use_case(
            check_integration, context_of(info).services, actor=viewer_of(info).key, key=key
        )
        return IntegrationTest.of(check)

    @strawberry.mutation(description="Discover the integration's resources and access now.")
    async def sync_integration(self, info: Info[Any, Any], key: str) -> IntegrationSync:
        report = await run_use_case(
            sync_integration, context_of(info).services, actor=viewer_of(info).key, key=key
        )
        return IntegrationSync.of(report)

    @strawberry.mutation(
        description="Delete an integration; refused while it has active grants unless "
        "`force`, which revokes them first. Returns the requests revoked."
    )
    async def delete_integration(
        self, info: Info[Any, Any], key: str, force: bool = False
    ) -> list[str]:
        revoked: list[str] = await run_use_case(
            delete_integration,
            context_of(info).services,
            actor=viewer_of(info).key,
            key=key,
            force=force,
        )
        return revoked
