"""An admin creates or changes an integration; its config is sealed before it is stored."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from broker import _text, audit
from broker._lookup import require_allowed
from broker._text import check_definition, check_text, check_texts
from broker.errors import InvalidInput
from broker.grants.secrets import seal
from broker.integrations import check_config, read_config
from broker.integrations._config import keep_secrets
from broker.services import Services
from graph import Node, UpsertNode
from policies.api_authz import Target


def save_integration(
    services: Services,
    *,
    actor: str,
    key: str,
    name: str,
    type: str,  # the contract's name, as in the GraphQL field
    config: Mapping[str, Any],
    tags: Sequence[str] = (),
) -> Node:
    """Create or replace integration `key`, as an admin.

    `config` depends on `type`: `manual` needs `fulfillers` (user keys), `webhook` a `url`
    and a signing `secret`, `postgresql` a host, an admin login and a role per permission
    (see broker.integrations._postgresql_config). A secret left out when saving again keeps
    its stored value.
    The config is sealed (broker.grants.secrets); the activity-log event names only its fields.
    """
    require_allowed(services, actor, "manageIntegrations", Target.integration(key))
    if not isinstance(config, Mapping):
        raise InvalidInput('config must be a JSON object of settings, e.g. {"url": "https://..."}')
    check_text("integration key", key, most=_text.KEY)
    check_text("integration name", name, most=_text.NAME)
    check_texts("integration tags", tags, most_items=_text.TAGS, most_each=_text.TAG)
    check_text("integration type", type, most=_text.KEY)
    check_definition("integration config", _as_json(config), most=_text.CONFIG)
    if not key.strip() or not name.strip():
        raise InvalidInput("an integration needs a key and a name")
    existing = services.store.get_node("Integration", key)
    given = dict(config)
    if existing is not None and existing.props.get("type") == type:
        given = keep_secrets(type, given, read_config(existing))
    checked = check_config(
        services.store, key=key, type_=type, config=given, outbound=services.outbound
    )
    props: dict[str, Any] = {
        "name": name,
        "type": type,
        "tags": sorted(set(tags)),
        "config": seal(json.dumps(checked, sort_keys=True)),
    }
    now = services.clock()
    event = audit.Entry(
        kind="integration.saved",
        at=now,
        actor=actor,
        resource=key,
        subject=key,
        data={
            "name": name,
            "type": type,
            "tags": props["tags"],
            "config_fields": sorted(checked),
            "created": existing is None,
        },
    )
    audit.write(services.store, [UpsertNode("Integration", key, props)], event)
    return Node("Integration", key, props)


def _as_json(config: Mapping[str, Any]) -> str:
    """The config as JSON, to bound its size; a value JSON cannot hold is refused."""
    try:
        return json.dumps(dict(config), sort_keys=True)
    except (TypeError, ValueError) as bad:
        raise InvalidInput(f"integration config cannot be read as JSON: {bad}") from bad
