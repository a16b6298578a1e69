"""The flow types name every AccessFlow field, so a new flow option cannot go missing."""

from __future__ import annotations

from dataclasses import fields

import pytest
import strawberry

from api.graphql.types_flows import AccessFlow, AccessFlowInput
from policies.flows import AccessFlow as Flow
from policies.flows import FlowInvalid

FLOW_FIELDS = {f.name for f in fields(Flow)}


def _type_fields(cls: type) -> set[str]:
    definition = strawberry.types.base.get_object_definition(cls, strict=True)
    return {f.python_name for f in definition.fields}


def test_the_input_takes_exactly_the_flow_fields() -> None:
    assert _type_fields(AccessFlowInput) == FLOW_FIELDS


def test_the_output_shows_every_flow_field_plus_derived_ones() -> None:
    assert _type_fields(AccessFlow) == FLOW_FIELDS | {"auto_approve", "definition"}


def test_fields_left_null_take_the_flow_defaults() -> None:
    flow = AccessFlowInput(key="k", name="K", everyone=True, tags=["pci"]).to_flow()
    assert flow == Flow(key="k", name="K", everyone=True, tags=("pci",))


def test_an_invalid_input_raises_flow_invalid_naming_the_fault() -> None:
    with pytest.raises(FlowInvalid, match="pending_timeout_minutes must be positive"):
        AccessFlowInput(
            key="k", name="K", everyone=True, tags=["x"], pending_timeout_minutes=0
        ).to_flow()
