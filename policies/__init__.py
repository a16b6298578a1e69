"""Cedar: the schema, the access flow -> policy compiler, the policy engine, forbid rules,
time windows, deny explanations, the admins' flow analysis and API authorization."""

from __future__ import annotations

from policies.analysis import Finding, flows_allowing_nothing, shadowed_flows
from policies.api_authz import ApiAuthorizer, ApiDecision, Caller, Target
from policies.compiler import CompiledFlow, compile_flow, default_schema
from policies.engine import Decision, PolicyEngine, UnknownFlow
from policies.entities import DecisionRequest, Principal, RequestContext, Resource
from policies.flows import AccessFlow, FlowInvalid
from policies.forbid import ForbidRule, compile_forbid

__all__ = [
    "AccessFlow",
    "ApiAuthorizer",
    "ApiDecision",
    "Caller",
    "CompiledFlow",
    "Decision",
    "DecisionRequest",
    "Finding",
    "FlowInvalid",
    "ForbidRule",
    "PolicyEngine",
    "Principal",
    "RequestContext",
    "Resource",
    "Target",
    "UnknownFlow",
    "compile_flow",
    "compile_forbid",
    "default_schema",
    "flows_allowing_nothing",
    "shadowed_flows",
]
