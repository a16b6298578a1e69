"""GraphQL types of access flows: every field of policies.flows.AccessFlow, in and out.

The input leaves every optional field null by default, so policies.flows alone decides
the defaults; a unit test pins that both types name exactly the AccessFlow fields.
"""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

import strawberry
from strawberry.scalars import JSON

from policies import analysis
from policies.approval_steps import ApprovalStep as Step
from policies.flows import AccessFlow as Flow


@strawberry.type(description="One step of an approval plan: who approves, one or all.")
class ApprovalStep:
    approvers: list[str]
    approver_groups: list[str]
    manager: bool
    mode: str

    @classmethod
    def of(cls, step: Step) -> ApprovalStep:
        return cls(
            approvers=list(step.approvers),
            approver_groups=list(step.approver_groups),
            manager=step.manager,
            mode=step.mode,
        )


@strawberry.type(description="An access flow: who may request what, approved by whom.")
class AccessFlow:
    key: str
    name: str
    requestor_users: list[str]
    requestor_groups: list[str]
    everyone: bool
    external: bool
    integrations: list[str]
    resources: list[str]
    resource_types: list[str]
    bundles: list[str]
    tags: list[str]
    exclude_resources: list[str]
    exclude_tags: list[str]
    permissions: list[str]
    max_duration_minutes: int
    default_duration_minutes: int
    max_extensions: int
    justification_required: bool
    for_self: bool
    on_behalf_users: list[str]
    on_behalf_reports: bool
    approvers: list[str]
    approver_groups: list[str]
    approver_manager: bool
    approval_mode: str
    approver_reason_required: bool
    approver_mfa: bool
    approval_steps: list[ApprovalStep]
    escalation_minutes: int
    escalation_users: list[str]
    escalation_groups: list[str]
    pending_timeout_minutes: int
    max_lead_days: int
    trigger: str
    enabled: bool
    window_days: list[str]
    window_start: str
    window_end: str
    time_zone: str
    auto_approve: bool
    definition: JSON = strawberry.field(description="The flow as stored, as JSON.")

    @classmethod
    def of(cls, flow: Flow) -> AccessFlow:
        values: dict[str, Any] = {}
        for field in fields(flow):
            value = getattr(flow, field.name)
            if field.name == "approval_steps":
                value = [ApprovalStep.of(step) for step in value]
            elif isinstance(value, tuple):
                value = list(value)
            values[field.name] = value
        values["auto_approve"] = flow.auto_approve
        values["definition"] = json.loads(flow.to_json())
        return cls(**values)


@strawberry.input
class ApprovalStepInput:
    approvers: list[str] = strawberry.field(default_factory=list)
    approver_groups: list[str] = strawberry.field(default_factory=list)
    manager: bool = False
    mode: str = "any"


@strawberry.input(description="An access flow; a field left null takes the flow's default.")
class AccessFlowInput:
    key: str
    name: str
    requestor_users: list[str] | None = None
    requestor_groups: list[str] | None = None
    everyone: bool | None = None
    external: bool | None = None
    integrations: list[str] | None = None
    resources: list[str] | None = None
    resource_types: list[str] | None = None
    bundles: list[str] | None = None
    tags: list[str] | None = None
    exclude_resources: list[str] | None = None
    exclude_tags: list[str] | None = None
    permissions: list[str] | None = None
    max_duration_minutes: int | None = None
    default_duration_minutes: int | None = None
    max_extensions: int | None = None
    justification_required: bool | None = None
    for_self: bool | None = None
    on_behalf_users: list[str] | None = None
    on_behalf_reports: bool | None = None
    approvers: list[str] | None = None
    approver_groups: list[str] | None = None
    approver_manager: bool | None = None
    approval_mode: str | None = None
    approver_reason_required: bool | None = None
    approver_mfa: bool | None = None
    approval_steps: list[ApprovalStepInput] | None = None
    escalation_minutes: int | None = None
    escalation_users: list[str] | None = None
    escalation_groups: list[str] | None = None
    pending_timeout_minutes: int | None = None
    max_lead_days: int | None = None
    trigger: str | None = None
    enabled: bool | None = None
    window_days: list[str] | None = None
    window_start: str | None = None
    window_end: str | None = None
    time_zone: str | None = None

    def definition(self) -> dict[str, Any]:
        """The fields given, as policies.flows reads them (`Flow.from_dict`)."""
        return {k: v for k, v in strawberry.asdict(self).items() if v is not None}

    def to_flow(self) -> Flow:
        """The flow as policies.flows reads it; raises FlowInvalid naming the fault."""
        return Flow.from_dict(self.definition())


@strawberry.type(
    description="A flow that allows nothing, one another flow shadows, or one offering a "
    "container that holds what it excludes or a forbid rule closes."
)
class FlowFinding:
    flow: str
    kind: str = strawberry.field(
        description="`allows-nothing`, `shadowed` or `reaches-excluded` (requests for the "
        "container as a whole are refused)"
    )
    message: str
    by: str | None = strawberry.field(description="the shadowing flow")

    @classmethod
    def of(cls, found: analysis.Finding) -> FlowFinding:
        return cls(flow=found.flow_key, kind=found.kind, message=found.message, by=found.by or None)
