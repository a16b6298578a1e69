"""Saving access flows and admin-wide forbid rules (admins, asked in the broker)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

import broker
from api.graphql.context import context_of, run_use_case, viewer_of
from api.graphql.types_flows import AccessFlow, AccessFlowInput
from api.graphql.types_forbid import ForbidRule, ForbidRuleInput
from broker import delete_forbid_rule, save_forbid_rule


@strawberry.type
class FlowMutations:
    # The broker reads the definition once the caller may save it: a non-admin hears
    # forbidden whatever they sent.
    @strawberry.mutation(description="Create or replace an access flow (admins).")
    async def create_access_flow(self, info: Info[Any, Any], flow: AccessFlowInput) -> AccessFlow:
        saved = await run_use_case(
            broker.save_access_flow,
            context_of(info).services,
            actor=viewer_of(info).key,
            flow=flow.definition(),
        )
        return AccessFlow.of(saved)

    @strawberry.mutation(description="Create or replace a forbid rule, which beats every flow.")
    async def save_forbid_rule(self, info: Info[Any, Any], rule: ForbidRuleInput) -> ForbidRule:
        saved = await run_use_case(
            save_forbid_rule,
            context_of(info).services,
            actor=viewer_of(info).key,
            rule=rule.definition(),
        )
        return ForbidRule.of(saved)

    @strawberry.mutation(description="Delete a forbid rule (admins).")
    async def delete_forbid_rule(self, info: Info[Any, Any], key: str) -> bool:
        me = viewer_of(info)
        await run_use_case(delete_forbid_rule, context_of(info).services, actor=me.key, key=key)
        return True
