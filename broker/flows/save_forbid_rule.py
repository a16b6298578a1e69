"""Create, replace or delete an admin-wide forbid rule: checked, compiled to Cedar `forbid`
policies that beat any flow, stored in the graph, and applied to the running engine."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from broker import _text, audit
from broker._lookup import read_definition, require_allowed
from broker._text import check_definition, check_text
from broker.errors import InvalidInput, NotFound
from broker.services import Services
from graph import DeleteNode, Node, NodeRef, UpsertNode
from policies.api_authz import Target
from policies.flows import FlowInvalid
from policies.forbid import ForbidRule


def save_forbid_rule(
    services: Services, *, actor: str, rule: ForbidRule | Mapping[str, Any]
) -> ForbidRule:
    """Save `rule` for admin `actor`; a bad rule raises InvalidInput and changes nothing.

    `rule` may be its definition as the API received it, read once `actor` is authorized."""
    require_allowed(services, actor, "manageFlows", Target.api())
    rule = read_definition(ForbidRule.from_dict, rule)
    check_text("forbid rule key", rule.key, most=_text.KEY)
    check_text("forbid rule name", rule.name, most=_text.NAME)
    check_definition("forbid rule", rule.to_json(), most=_text.DEFINITION)
    try:
        rule.check()
    except FlowInvalid as bad:
        raise InvalidInput(str(bad)) from bad
    _require_targets(services, rule)
    previous = services.store.get_node("ForbidRule", rule.key)
    try:
        services.engine.upsert_forbid_rule(rule)
    except FlowInvalid as bad:
        raise InvalidInput(str(bad)) from bad
    now = services.clock()
    node = UpsertNode(
        "ForbidRule",
        rule.key,
        {
            "name": rule.name or rule.key,
            "definition": rule.to_json(),
            "enabled": rule.enabled,
            "updated_at": now,
        },
    )
    entry = audit.Entry(
        kind="forbid_rule.created" if previous is None else "forbid_rule.updated",
        at=now,
        actor=actor,
        subject=rule.key,
        data={"definition": rule.to_json()},
    )
    try:
        audit.write(services.store, [node], entry)
    except Exception:
        _restore(services, rule.key, previous)  # the engine follows what is stored
        raise
    return rule


def delete_forbid_rule(services: Services, *, actor: str, key: str) -> None:
    """Delete forbid rule `key` for admin `actor`; raises NotFound if there is none."""
    require_allowed(services, actor, "manageFlows", Target.api())
    check_text("forbid rule key", key, most=_text.KEY)
    previous = services.store.get_node("ForbidRule", key)
    if previous is None:
        raise NotFound(f"no forbid rule `{key}` exists: check its key")
    if key in services.engine.forbid_rules:
        services.engine.remove_forbid_rule(key)
    entry = audit.Entry(
        kind="forbid_rule.deleted",
        at=services.clock(),
        actor=actor,
        subject=key,
        data={"definition": str(previous.props["definition"])},
    )
    try:
        audit.write(services.store, [DeleteNode("ForbidRule", key)], entry)
    except Exception:
        _restore(services, key, previous)
        raise


def load_forbid_rules_into_engine(services: Services) -> int:
    """At start: hand every stored forbid rule to the policy engine; returns how many."""
    rules = [
        ForbidRule.from_json(str(node.props["definition"]))
        for node in services.store.find_nodes("ForbidRule")
    ]
    services.engine.set_forbid_rules(rules)
    return len(rules)


def _require_targets(services: Services, rule: ForbidRule) -> None:
    named = [
        *(NodeRef("Integration", k) for k in rule.integrations),
        *(NodeRef("Resource", k) for k in rule.resources),
        *(NodeRef("Bundle", k) for k in rule.bundles),
    ]
    for ref in named:
        if services.store.get_node(ref.kind, ref.key) is None:
            raise InvalidInput(
                f"forbid rule `{rule.key}` names {ref.kind.lower()} `{ref.key}`, which does "
                "not exist: fix the name or create it first"
            )


def _restore(services: Services, key: str, previous: Node | None) -> None:
    if previous is None:
        if key in services.engine.forbid_rules:
            services.engine.remove_forbid_rule(key)
    else:
        services.engine.upsert_forbid_rule(ForbidRule.from_json(str(previous.props["definition"])))
