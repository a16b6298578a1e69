"""An access flow as admins write it: who may request what, for how long, approved by whom."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, fields
from typing import Any

from policies.approval_steps import ApprovalStep, StepInvalid, parse_steps
from policies.windows import Window, WindowInvalid, parse_window

# A week is the longest access any flow may hand out in one grant.
MAX_DURATION_MINUTES = 7 * 24 * 60
# How far ahead a request may ask its access to start, at most (a flow may allow less).
MAX_LEAD_DAYS = 365
TRIGGERS = ("portal", "link")
APPROVAL_MODES = ("any", "all")
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
    bundles: tuple[str, ...] = ()  # every item of each bundle (Bundle -COVERS-> ...)
    # Any-of: with other targets a filter on them; alone, everything tagged so.
    tags: tuple[str, ...] = ()
    exclude_resources: tuple[str, ...] = ()  # and everything beneath them
    exclude_tags: tuple[str, ...] = ()
    permissions: tuple[str, ...] = ("read",)
    max_duration_minutes: int = 60
    default_duration_minutes: int = 0  # 0: the maximum
    max_extensions: int = 0  # how often a grant may be extended (all within the maximum)
    justification_required: bool = False
    # On whose behalf a requestor may ask: themselves, named users, their own reports.
    for_self: bool = True
    on_behalf_users: tuple[str, ...] = ()
    on_behalf_reports: bool = False
    # The approval plan (broker.approval). No approver of any kind means auto-approval.
    approvers: tuple[str, ...] = ()  # user keys
    approver_groups: tuple[str, ...] = ()
    approver_manager: bool = False  # the requester's manager (REPORTS_TO)
    approval_mode: str = "any"  # any: one approval suffices; all: every named approver
    approver_reason_required: bool = False
    approver_mfa: bool = False  # each approval carries a fresh TOTP code of the approver's
    # Ordered steps, each completed before the next; empty: the fields above are one step.
    approval_steps: tuple[ApprovalStep, ...] = ()
    escalation_minutes: int = 0  # 0: never; else hand the request to the escalation tier
    escalation_users: tuple[str, ...] = ()
    escalation_groups: tuple[str, ...] = ()
    pending_timeout_minutes: int = 7 * 24 * 60  # an undecided request times out then
    # How many days ahead a request may ask its access to start; 0: at once only.
    max_lead_days: int = 30
    trigger: str = "portal"
    enabled: bool = True
    # A time window, in local time of `time_zone`; no days means every day.
    window_days: tuple[str, ...] = ()
    window_start: str = ""  # HH:MM
    window_end: str = ""  # HH:MM, later than the start; 24:00 for midnight
    time_zone: str = ""  # IANA name, e.g. Europe/Berlin

    @property
    def steps(self) -> tuple[ApprovalStep, ...]:
        """The approval plan's ordered steps; none when the flow auto-approves."""
        if self.approval_steps:
            return tuple(step for step in self.approval_steps if not step.empty)
        flat = ApprovalStep(
            self.approvers, self.approver_groups, self.approver_manager, self.approval_mode
        )
        return () if flat.empty else (flat,)

    @property
    def auto_approve(self) -> bool:
        return not self.steps

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
        if not (
            self.integrations or self.resources or self.resource_types or self.tags or self.bundles
        ):
            raise FlowInvalid(
                f"flow `{self.key}` names nothing to request: add integrations, resources, "
                "resource types, tags or bundles"
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
        self._check_durations()
        if not (self.for_self or self.on_behalf_users or self.on_behalf_reports):
            raise FlowInvalid(
                f"flow `{self.key}` lets nobody be the beneficiary: allow requests for oneself, "
                "for named users or for one's reports"
            )
        if self.approval_mode not in APPROVAL_MODES:
            raise FlowInvalid(
                f"flow `{self.key}` approval mode `{self.approval_mode}` must be one of "
                f"{', '.join(APPROVAL_MODES)}"
            )
        self._check_steps()
        if self.escalation_minutes and not (self.escalation_users or self.escalation_groups):
            raise FlowInvalid(
                f"flow `{self.key}` escalates after {self.escalation_minutes} minutes but names "
                "no one to escalate to: add escalation users or groups"
            )
        if self.trigger not in TRIGGERS:
            raise FlowInvalid(
                f"flow `{self.key}` trigger `{self.trigger}` must be one of {', '.join(TRIGGERS)}"
            )
        _ = self.window

    def _check_steps(self) -> None:
        if not self.approval_steps:
            return
        if self.approvers or self.approver_groups or self.approver_manager:
            raise FlowInvalid(
                f"flow `{self.key}` names approvers both in approval_steps and in the flat "
                "approver fields: move them into the steps"
            )
        for number, step in enumerate(self.approval_steps, start=1):
            if not isinstance(step, ApprovalStep):
                raise FlowInvalid(f"flow `{self.key}` approval step {number} is not a step")
            problem = step.problem(f"approval step {number}")
            if problem is not None:
                raise FlowInvalid(f"flow `{self.key}` {problem}")

    def _check_durations(self) -> None:
        if not 0 <= self.default_duration_minutes <= self.max_duration_minutes:
            raise FlowInvalid(
                f"flow `{self.key}` default duration `{self.default_duration_minutes}` minutes "
                f"must be between 1 and the maximum, {self.max_duration_minutes} "
                "(or 0 for the maximum)"
            )
        for name, most in (
            ("max_extensions", 100),
            ("escalation_minutes", MAX_DURATION_MINUTES),
            ("pending_timeout_minutes", 90 * 24 * 60),
            ("max_lead_days", MAX_LEAD_DAYS),
        ):
            value = getattr(self, name)
            if not 0 <= value <= most:
                raise FlowInvalid(
                    f"flow `{self.key}` {name} `{value}` must be between 0 and {most}"
                )
        if self.pending_timeout_minutes == 0:
            raise FlowInvalid(
                f"flow `{self.key}` pending_timeout_minutes must be positive: "
                "a request nobody decides has to end some time"
            )

    @property
    def duration_default(self) -> int:
        """The duration of a request that names none."""
        return self.default_duration_minutes or self.max_duration_minutes

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
            if name == "approval_steps":
                try:
                    value = parse_steps(value)
                except StepInvalid as exc:
                    raise FlowInvalid(str(exc)) from exc
            elif isinstance(default, tuple):
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
