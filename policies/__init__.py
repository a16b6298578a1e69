"""Cedar: the schema, the access flow -> policy compiler, and the policy engine."""

from __future__ import annotations

from policies.compiler import CompiledFlow, compile_flow, default_schema
from policies.engine import Decision, PolicyEngine, UnknownFlow
from policies.entities import DecisionRequest, Principal, RequestContext, Resource
from policies.flows import AccessFlow, FlowInvalid

__all__ = [
    "AccessFlow",
    "CompiledFlow",
    "Decision",
    "DecisionRequest",
    "FlowInvalid",
    "PolicyEngine",
    "Principal",
    "RequestContext",
    "Resource",
    "UnknownFlow",
    "compile_flow",
    "default_schema",
]
