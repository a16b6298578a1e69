"""Saving access flows and admin-wide forbid rules (admins)."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

import broker
from api.graphql.context import authorized_viewer, context_of, run_use_case, viewer_of
from api.graphql.types_flows import AccessFlow, AccessFlowInput
from api.graphql.types_forbid import ForbidRule, ForbidRuleInput
from broker.save_forbid_rule import delete_forbid_rule, save_forbid_rule
from policies.api_authz import Target
from policies.flows import FlowInvalid


@strawberry.type
class FlowMutations:
    @strawberry.mutation(description="Create or replace an access flow (admins).")
    async def create_access_flow(self, info: Info[Any, Any], flow: AccessFlowInput) -> AccessFlow:
        me = authorized_viewer(info, "manageFlows", Target.access_flow(flow.key))
        try:
            parsed = flow.to_flow()
        except FlowInvalid as bad:
            raise GraphQLError(str(bad), extensions={"code": "invalid_input"}) from bad
        saved = await run_use_case(
            broker.save_access_flow, context_of(info).services, actor=me.key, flow=parsed
        )
        return AccessFlow.of(saved)

    @strawberry.mutation(description="Create or replace a forbid rule, which beats every flow.")
    async def save_forbid_rule(self, info: Info[Any, Any], rule: ForbidRuleInput) -> ForbidRule:
        me = authorized_viewer(info, "manageFlows", Target.api())
        try:
            parsed = rule.to_rule()
        except FlowInvalid as bad:
            raise GraphQLError(str(bad), extensions={"code": "invalid_input"}) from bad
        saved = await run_use_case(
            save_forbid_rule, context_of(info).services, actor=me.key, rule=parsed
        )
        return ForbidRule.of(saved)

    @strawberry.mutation(description="Delete a forbid rule (admins).")
    async def delete_forbid_rule(self, info: Info[Any, Any], key: str) -> bool:
        me = viewer_of(info)
        await run_use_case(delete_forbid_rule, context_of(info).services, actor=me.key, key=key)
        return True
