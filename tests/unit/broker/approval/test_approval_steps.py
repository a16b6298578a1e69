"""Approval steps in the flow model: read, written, checked, backward compatible."""

from __future__ import annotations

import json
from typing import Any

import pytest

from policies.approval_steps import ApprovalStep
from policies.flows import AccessFlow, FlowInvalid

_BASE: dict[str, Any] = {
    "key": "lab",
    "name": "Lab",
    "everyone": True,
    "integrations": ["lab"],
}


def test_steps_round_trip_through_json_in_order() -> None:
    flow = AccessFlow.from_dict(
        {
            **_BASE,
            "approval_steps": [
                {"manager": True},
                {"approver_groups": ["security"], "approvers": ["sam"], "mode": "all"},
            ],
        }
    )
    assert flow.steps == (
        ApprovalStep(manager=True),
        ApprovalStep(approvers=("sam",), approver_groups=("security",), mode="all"),
    )
    assert AccessFlow.from_json(flow.to_json()) == flow
    assert json.loads(flow.to_json())["approval_steps"][1]["mode"] == "all"


def test_stored_flow_without_steps_reads_its_flat_fields_as_the_one_step() -> None:
    old = json.dumps({**_BASE, "approvers": ["grace"], "approval_mode": "all"})
    flow = AccessFlow.from_json(old)
    assert flow.approval_steps == ()
    assert flow.steps == (ApprovalStep(approvers=("grace",), mode="all"),)
    assert not flow.auto_approve


def test_a_flow_with_no_approver_in_any_form_auto_approves() -> None:
    assert AccessFlow.from_dict(_BASE).auto_approve
    assert AccessFlow.from_dict(_BASE).steps == ()
    assert not AccessFlow.from_dict({**_BASE, "approver_manager": True}).auto_approve


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ({"manager": True}, "`approval_steps` must be a list of steps"),
        (["sam"], "approval step 1 must be an object"),
        ([{"manager": True}, {"approvers": "sam"}], "approval step 2 field `approvers` must be"),
        ([{"approver_groups": [1]}], "approval step 1 field `approver_groups` must be"),
        ([{"manager": "yes"}], "approval step 1 field `manager` must be true or false"),
        ([{"manager": True, "mode": 2}], "approval step 1 field `mode` must be"),
        ([{"manager": True, "who": "x"}], "approval step 1 has an unknown field `who`"),
        ([{"mode": "all"}], "approval step 1 names no approver"),
        ([{"approvers": ["sam"], "mode": "most"}], "approval step 1 mode `most` must be one of"),
        ([{"approvers": [" "]}], "approval step 1 names a blank approver"),
    ],
)
def test_malformed_steps_are_refused_with_the_step_and_field_named(
    steps: Any, message: str
) -> None:
    with pytest.raises(FlowInvalid) as refused:
        AccessFlow.from_dict({**_BASE, "approval_steps": steps})
    assert message in str(refused.value)


def test_steps_and_flat_approver_fields_together_are_refused() -> None:
    with pytest.raises(FlowInvalid, match="both in approval_steps and in the flat"):
        AccessFlow.from_dict(
            {**_BASE, "approvers": ["grace"], "approval_steps": [{"manager": True}]}
        )
