"""One step of an access flow's approval plan: who approves, and whether one or all must."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

APPROVAL_MODES = ("any", "all")
_FIELDS = ("approvers", "approver_groups", "manager", "mode")


class StepInvalid(ValueError):
    """A step cannot be read or saved as written; the message says what to change."""


@dataclass(frozen=True)
class ApprovalStep:
    """Approvers of one step. `any`: one approval completes the step; `all`: each named
    user, one member of each group and (when set) the requester's manager must approve."""

    approvers: tuple[str, ...] = ()  # user keys
    approver_groups: tuple[str, ...] = ()
    manager: bool = False  # the requester's manager (REPORTS_TO)
    mode: str = "any"

    @property
    def empty(self) -> bool:
        return not (self.approvers or self.approver_groups or self.manager)

    def problem(self, where: str) -> str | None:
        """What is wrong with this step (`where` names it in the message), or None."""
        if self.empty:
            return (
                f"{where} names no approver: add approvers, approver groups or the manager, "
                "or remove the step"
            )
        if self.mode not in APPROVAL_MODES:
            return f"{where} mode `{self.mode}` must be one of {', '.join(APPROVAL_MODES)}"
        blank = [k for k in (*self.approvers, *self.approver_groups) if not k.strip()]
        if blank:
            return f"{where} names a blank approver or group: remove it"
        return None

    @classmethod
    def from_value(cls, value: Any, where: str) -> ApprovalStep:
        """Read a step from stored or submitted JSON; raise StepInvalid naming the fault."""
        if not isinstance(value, dict):
            raise StepInvalid(f"{where} must be an object with {', '.join(_FIELDS)}")
        unknown = sorted(set(value) - set(_FIELDS))
        if unknown:
            raise StepInvalid(f"{where} has an unknown field `{unknown[0]}`")
        for name in ("approvers", "approver_groups"):
            items = value.get(name, [])
            if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
                raise StepInvalid(f"{where} field `{name}` must be a list of strings")
        if not isinstance(value.get("manager", False), bool):
            raise StepInvalid(f"{where} field `manager` must be true or false")
        if not isinstance(value.get("mode", "any"), str):
            raise StepInvalid(f"{where} field `mode` must be `any` or `all`")
        return cls(
            approvers=tuple(value.get("approvers", ())),
            approver_groups=tuple(value.get("approver_groups", ())),
            manager=value.get("manager", False),
            mode=value.get("mode", "any"),
        )


def parse_steps(value: Any) -> tuple[ApprovalStep, ...]:
    """The `approval_steps` of a flow as JSON holds them: a list of step objects."""
    if not isinstance(value, list | tuple):
        raise StepInvalid("flow field `approval_steps` must be a list of steps")
    return tuple(
        v if isinstance(v, ApprovalStep) else ApprovalStep.from_value(v, f"approval step {i + 1}")
        for i, v in enumerate(value)
    )
