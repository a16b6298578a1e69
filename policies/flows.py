"""An access flow as admins write it: who may request what, for how long, approved by whom."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, fields
from typing import Any

from policies.windows import Window, WindowInvalid, parse_window

# A week is the longest access any flow may hand out in one grant.
MAX_DURATION_MINUTES = 7 * 24 * 60
TRIGGERS = ("portal", "link")
_KEY = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")
# Tags as the graph stores them: no spaces at the ends, no control characters.
_TAG = re.compile(r"^[^\s\x00-\x1f\x7f](?:[^\x00-\x1f\x7f]{0,62}[^\s\x00-\x1f\x7f])?$")


class FlowInvalid(ValueError):
    """The flow cannot be saved as written; the message says what to change."""


@dataclass(frozen=True)
class AccessFlow:
    key: str
    name: str
    requestor_users: tuple[str, ...] = ()
    requestor_groups: tuple[str, ...] = ()
    everyone: bool = False  # anybody, external requesters included
    external: bool = False  # external requesters arriving by access link (trigger `link`)
    integrations: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    resource_types: tuple[str, ...] = ()
    # Any-of: with other targets a filter on them; alone, everything tagged so.
    tags: tuple[str, ...] = ()
    exclude_resources: tuple[str, ...] = ()  # and everything beneath them
    exclude_tags: tuple[str, ...] = ()
    permissions: tuple[str, ...] = ("read",)
    max_duration_minutes: int = 60
    justification_required: bool = False
    approvers: tuple[str, ...] = ()  # user keys; none at all means auto-approval
    approver_groups: tuple[str, ...] = ()
    trigger: str = "portal"
    enabled: bool = True
    # A time window, in local time of `time_zone`; no days means every day.
    window_days: tuple[str, ...] = ()
    window_start: str = ""  # HH:MM
    window_end: str = ""  # HH:MM, later than the start; 24:00 for midnight
    time_zone: str = ""  # IANA name, e.g. Europe/Berlin

    @property
    def auto_approve(self) -> bool:
        return not self.approvers and not self.approver_groups

    @property
    def window(self) -> Window | None:
        """The flow's time window; raises FlowInvalid when it is malformed."""
        try:
            return parse_window(
                self.window_days, self.window_start, self.window_end, self.time_zone
            )
        except WindowInvalid as exc:
            raise FlowInvalid(f"flow `{self.key}`: {exc}") from exc

    def check(self) -> None:
        """Raise FlowInvalid naming the first thing wrong with this flow as written."""
        if not _KEY.fullmatch(self.key):
            raise FlowInvalid(
                f"flow key `{self.key}` must be 1-63 lowercase letters, digits, `.`, `_` or `-`"
            )
        if not self.name.strip():
            raise FlowInvalid(f"flow `{self.key}` needs a name")
        if not (self.everyone or self.external or self.requestor_users or self.requestor_groups):
            raise FlowInvalid(
                f"flow `{self.key}` names no requestors: add users or groups, "
                "or open it to everyone"
            )
        if self.external and self.trigger != "link":
            raise FlowInvalid(
                f"flow `{self.key}` admits external requesters, who arrive by access link only: "
                "set its trigger to `link`"
            )
        if not (self.integrations or self.resources or self.resource_types or self.tags):
            raise FlowInvalid(
                f"flow `{self.key}` names nothing to request: add integrations, resources, "
                "resource types or tags"
            )
        for name in ("resource_types", "exclude_resources"):
            blank = [v for v in getattr(self, name) if not v.strip()]
            if blank:
                raise FlowInvalid(f"flow `{self.key}` {name} `{blank[0]}` must not be blank")
        for name in ("tags", "exclude_tags"):
            bad = [tag for tag in getattr(self, name) if not _TAG.fullmatch(tag)]
            if bad:
                raise FlowInvalid(
                    f"flow `{self.key}` tag `{bad[0]}` in {name} must be 1-64 characters, "
                    "with no control characters and no spaces at either end"
                )
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
        _ = self.window

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
