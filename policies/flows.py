"""An access flow as admins write it: who may request what, for how long, approved by whom."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, fields
from typing import Any

# A week is the longest access any flow may hand out in one grant.
MAX_DURATION_MINUTES = 7 * 24 * 60
TRIGGERS = ("portal", "link")
_KEY = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")


class FlowInvalid(ValueError):
    """The flow cannot be saved as written; the message says what to change."""


@dataclass(frozen=True)
class AccessFlow:
    key: str
    name: str
    requestor_users: tuple[str, ...] = ()
    requestor_groups: tuple[str, ...] = ()
    everyone: bool = False
    integrations: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    permissions: tuple[str, ...] = ("read",)
    max_duration_minutes: int = 60
    justification_required: bool = False
    approvers: tuple[str, ...] = ()  # user keys; none at all means auto-approval
    approver_groups: tuple[str, ...] = ()
    trigger: str = "portal"
    enabled: bool = True

    @property
    def auto_approve(self) -> bool:
        return not self.approvers and not self.approver_groups

    def check(self) -> None:
        """Raise FlowInvalid naming the first thing wrong with this flow as written."""
        if not _KEY.match(self.key):
            raise FlowInvalid(
                f"flow key `{self.key}` must be 1-63 lowercase letters, digits, `.`, `_` or `-`"
            )
        if not self.name.strip():
            raise FlowInvalid(f"flow `{self.key}` needs a name")
        if not (self.everyone or self.requestor_users or self.requestor_groups):
            raise FlowInvalid(f"flow `{self.key}` names no requestors: add users or groups")
        if not (self.integrations or self.resources):
            raise FlowInvalid(f"flow `{self.key}` names nothing to request: add resources")
        if not self.permissions or any(not p.strip() for p in self.permissions):
            raise FlowInvalid(f"flow `{self.key}` needs at least one non-empty permission")
        if not 0 < self.max_duration_minutes <= MAX_DURATION_MINUTES:
            raise FlowInvalid(
                f"flow `{self.key}` maximum duration `{self.max_duration_minutes}` minutes "
                f"must be between 1 and {MAX_DURATION_MINUTES}"
            )
        if self.trigger not in TRIGGERS:
            raise FlowInvalid(
                f"flow `{self.key}` trigger `{self.trigger}` must be one of {', '.join(TRIGGERS)}"
            )

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> AccessFlow:
        return cls.from_dict(json.loads(text))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AccessFlow:
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise FlowInvalid(f"unknown flow field `{unknown[0]}`")
        values: dict[str, Any] = {}
        for name, value in data.items():
            default = known[name].default
            if isinstance(default, tuple):
                if not isinstance(value, list | tuple) or not all(
                    isinstance(v, str) for v in value
                ):
                    raise FlowInvalid(f"flow field `{name}` must be a list of strings")
                value = tuple(value)
            elif isinstance(default, bool):
                if not isinstance(value, bool):
                    raise FlowInvalid(f"flow field `{name}` must be true or false")
            elif isinstance(default, int):
                if isinstance(value, bool) or not isinstance(value, int):
                    raise FlowInvalid(f"flow field `{name}` must be a whole number")
            elif not isinstance(value, str):
                raise FlowInvalid(f"flow field `{name}` must be a string")
            values[name] = value
        for required in ("key", "name"):
            if required not in values:
                raise FlowInvalid(f"flow field `{required}` is required")
        flow = cls(**values)
        flow.check()
        return flow
