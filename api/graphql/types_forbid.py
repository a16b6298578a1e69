"""GraphQL types of admin-wide forbid rules (policies.forbid.ForbidRule, every field)."""

from __future__ import annotations

from typing import Any

import strawberry

from policies.forbid import ForbidRule as Rule


@strawberry.type(description="Closes what it names, always or outside its window; beats flows.")
class ForbidRule:
    key: str
    name: str
    enabled: bool
    tags: list[str]
    integrations: list[str]
    resources: list[str]
    bundles: list[str]
    window_days: list[str]
    window_start: str
    window_end: str
    time_zone: str

    @classmethod
    def of(cls, rule: Rule) -> ForbidRule:
        return cls(
            key=rule.key,
            name=rule.name or rule.key,
            enabled=rule.enabled,
            tags=list(rule.tags),
            integrations=list(rule.integrations),
            resources=list(rule.resources),
            bundles=list(rule.bundles),
            window_days=list(rule.window_days),
            window_start=rule.window_start,
            window_end=rule.window_end,
            time_zone=rule.time_zone,
        )


@strawberry.input(description="A forbid rule; a field left null takes the rule's default.")
class ForbidRuleInput:
    key: str
    name: str | None = None
    enabled: bool | None = None
    tags: list[str] | None = None
    integrations: list[str] | None = None
    resources: list[str] | None = None
    bundles: list[str] | None = None
    window_days: list[str] | None = None
    window_start: str | None = None
    window_end: str | None = None
    time_zone: str | None = None

    def definition(self) -> dict[str, Any]:
        """The fields given, as policies.forbid reads them (`Rule.from_dict`)."""
        return {k: v for k, v in strawberry.asdict(self).items() if v is not None}

    def to_rule(self) -> Rule:
        """The rule as policies.forbid reads it; raises FlowInvalid naming the fault."""
        return Rule.from_dict(self.definition())
