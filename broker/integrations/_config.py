"""What each integration type keeps in its sealed `config`, checked before it is saved."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from broker.errors import InvalidInput
from broker.grants.secrets import unseal
from broker.integrations._mariadb_config import MARIADB, check_mariadb
from broker.integrations._postgresql_config import POSTGRESQL, check_postgresql
from broker.integrations._redis_config import REDIS, check_redis
from broker.integrations._settings import PASSWORD_SOURCES
from broker.outbound import PUBLIC_ONLY, Outbound
from graph import GraphStore, Node

MANUAL = "manual"
WEBHOOK = "webhook"
_TYPE = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
_MIN_SECRET = 16


def check_config(
    store: GraphStore,
    *,
    key: str,
    type_: str,
    config: Mapping[str, Any],
    outbound: Outbound = PUBLIC_ONLY,
) -> dict[str, Any]:
    """The config to seal for integration `key` of `type_`; raise InvalidInput when wrong.
    A webhook's URL must be a target `outbound` allows."""
    if not _TYPE.match(type_):
        raise InvalidInput(
            f"integration type `{type_}` must be lowercase letters, digits, `-` or `_`, "
            "e.g. `manual` or `webhook`"
        )
    if type_ == MANUAL:
        return _manual(store, key, config)
    if type_ == WEBHOOK:
        return _webhook(key, config, outbound)
    if type_ == POSTGRESQL:
        return check_postgresql(key, config)
    if type_ == MARIADB:
        return check_mariadb(key, config)
    if type_ == REDIS:
        return check_redis(key, config)
    return dict(config)


def keep_secrets(type_: str, given: Mapping[str, Any], stored: Mapping[str, Any]) -> dict[str, Any]:
    """`given` with the stored secret filled in where it was left out, so an admin changes
    a setting without sending the secret again (it is never sent back to be re-sent)."""
    kept = dict(given)
    if type_ == WEBHOOK and not kept.get("secret"):
        kept["secret"] = stored.get("secret", "")
    elif type_ in (POSTGRESQL, MARIADB, REDIS) and not any(kept.get(f) for f in PASSWORD_SOURCES):
        for field in PASSWORD_SOURCES:
            if stored.get(field):
                kept[field] = stored[field]
    return kept


def read_config(node: Node) -> dict[str, Any]:
    """The unsealed config of integration `node` ({} when it has none)."""
    sealed = str(node.props.get("config") or "")
    if not sealed:
        return {}
    found = json.loads(unseal(sealed))
    return found if isinstance(found, dict) else {}


def _manual(store: GraphStore, key: str, config: Mapping[str, Any]) -> dict[str, Any]:
    fulfillers = config.get("fulfillers")
    if not isinstance(fulfillers, list) or not fulfillers:
        raise InvalidInput(
            f"manual integration `{key}` needs `fulfillers`: the users who grant and revoke by hand"
        )
    for user in fulfillers:
        node = store.get_node("User", str(user))
        if node is None or node.props.get("disabled"):
            raise InvalidInput(
                f"fulfiller `{user}` of integration `{key}` is not an enabled user: name "
                "existing users"
            )
    return {"fulfillers": sorted({str(u) for u in fulfillers})}


def _webhook(key: str, config: Mapping[str, Any], outbound: Outbound) -> dict[str, Any]:
    url, secret = str(config.get("url") or ""), str(config.get("secret") or "")
    if not url:
        raise InvalidInput(f"webhook integration `{key}` needs an http:// or https:// `url`")
    outbound.check(url, what=f"the `url` of webhook integration `{key}`")
    if len(secret) < _MIN_SECRET:
        raise InvalidInput(
            f"webhook integration `{key}` needs a signing `secret` of at least "
            f"{_MIN_SECRET} characters"
        )
    return {"url": url, "secret": secret}
