"""Admin-wide forbid rules: close resources (by tag, integration or resource) always, or
outside a time window. They compile to Cedar `forbid` policies, which beat any permit.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, fields
from typing import Any

import cedarpy

from policies.compiler import (
    CompiledFlow,
    cedar_string,
    default_schema,
    resource_scope,
    validate,
)
from policies.flows import FlowInvalid
from policies.windows import Window, WindowInvalid, parse_window

_KEY = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")
OWNER_PREFIX = "forbid:"  # how the engine files a rule's policies beside flow keys


@dataclass(frozen=True)
class ForbidRule:
    """Nothing the rule names may be requested (outside its window, when it has one)."""

    key: str
    tags: tuple[str, ...] = ()
    integrations: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    window_days: tuple[str, ...] = ()
    window_start: str = ""
    window_end: str = ""
    time_zone: str = ""
    bundles: tuple[str, ...] = ()  # everything each bundle covers
    name: str = ""  # for people; the key when blank
    enabled: bool = True  # a disabled rule closes nothing

    @property
    def window(self) -> Window | None:
        try:
            return parse_window(
                self.window_days, self.window_start, self.window_end, self.time_zone
            )
        except WindowInvalid as exc:
            raise FlowInvalid(f"forbid rule `{self.key}`: {exc}") from exc

    def targets(self) -> tuple[tuple[str, str], ...]:
        wanted = [("tag", key) for key in self.tags]
        wanted += [("Integration", key) for key in self.integrations]
        wanted += [("Resource", key) for key in self.resources]
        wanted += [("Bundle", key) for key in self.bundles]
        return tuple(dict.fromkeys(wanted))

    def check(self) -> None:
        if not _KEY.fullmatch(self.key):
            raise FlowInvalid(
                f"forbid rule key `{self.key}` must be 1-63 lowercase letters, digits, "
                "`.`, `_` or `-`"
            )
        if not self.targets():
            raise FlowInvalid(
                f"forbid rule `{self.key}` names nothing to close: add tags, integrations, "
                "resources or bundles"
            )
        named = (*self.tags, *self.integrations, *self.resources, *self.bundles)
        blank = [v for v in named if not v.strip()]
        if blank:
            raise FlowInvalid(f"forbid rule `{self.key}` names a blank target `{blank[0]}`")
        _ = self.window

    def describe(self, target: tuple[str, str]) -> str:
        """What the rule does to `target`, in words."""
        kind, key = target
        what = {"tag": f"resources tagged `{key}` are", "Bundle": f"bundle `{key}` is"}.get(
            kind, f"`{key}` is"
        )
        window = self.window
        if window is None:
            return f"{what} closed by rule `{self.key}`"
        return f"{what} closed outside {window.describe()} by rule `{self.key}`"

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ForbidRule:
        """The rule stored as `text`; raises FlowInvalid saying what is wrong with it."""
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise FlowInvalid(f"a forbid rule must be a JSON object: {exc}") from exc
        if not isinstance(data, dict):
            raise FlowInvalid("a forbid rule must be a JSON object")
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ForbidRule:
        known = {f.name: f.default for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise FlowInvalid(f"unknown forbid rule field `{unknown[0]}`")
        if "key" not in data:
            raise FlowInvalid("forbid rule field `key` is required")
        values: dict[str, Any] = {}
        for name, value in data.items():
            default = known[name]
            if isinstance(default, tuple):
                if not isinstance(value, list | tuple) or not all(
                    isinstance(v, str) for v in value
                ):
                    raise FlowInvalid(f"forbid rule field `{name}` must be a list of strings")
                value = tuple(value)
            elif isinstance(default, bool):
                if not isinstance(value, bool):
                    raise FlowInvalid(f"forbid rule field `{name}` must be true or false")
            elif not isinstance(value, str):
                raise FlowInvalid(f"forbid rule field `{name}` must be a string")
            values[name] = value
        rule = cls(**values)
        rule.check()
        return rule


def policy_id(rule: ForbidRule, target: tuple[str, str]) -> str:
    """The `@id` of the policy closing `target`, one of `rule.targets()`."""
    return f"{OWNER_PREFIX}{rule.key}:{rule.targets().index(target)}"


def compile_forbid(rule: ForbidRule, schema: cedarpy.Schema | None = None) -> CompiledFlow:
    """One `forbid` per target, annotated `@id("forbid:<key>:<n>")` and `@forbid`."""
    rule.check()
    if not rule.enabled:
        return CompiledFlow(OWNER_PREFIX + rule.key, (), "")
    targets = rule.targets()
    window = rule.window
    policy_ids = tuple(policy_id(rule, target) for target in targets)
    texts = []
    for policy, target in zip(policy_ids, targets, strict=True):
        scope, condition = resource_scope(target)
        conditions = [c for c in (condition,) if c]
        if window is not None:
            conditions.append(f"!{window.cedar()}")
        when = (" when {\n  " + " &&\n  ".join(conditions) + "\n}") if conditions else ""
        texts.append(
            f"@id({cedar_string(policy)})\n"
            f"@forbid({cedar_string(rule.key)})\n"
            "forbid (\n"
            "  principal,\n"
            '  action == Action::"request",\n'
            f"  {scope}\n"
            f"){when};"
        )
    zones = (window.zone,) if window is not None else ()
    compiled = CompiledFlow(
        OWNER_PREFIX + rule.key,
        policy_ids,
        "\n\n".join(texts) + "\n",
        targets,
        tuple(texts),
        zones,
        (),
    )
    validate(compiled, default_schema() if schema is None else schema, f"forbid rule `{rule.key}`")
    return compiled
