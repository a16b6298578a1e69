"""What a `redis` integration keeps in its sealed config: the server settings every
database integration has (broker.integrations._settings), the key patterns that are its
resources, and the ACL command rules each Keyturn permission gives."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from broker.errors import InvalidInput
from broker.integrations._settings import PERMISSIONS, server_settings

REDIS = "redis"
DEFAULT_GRANTS = {"read": ["+@read"], "write": ["+@read", "+@write"], "admin": ["+@all"]}
_RULE = re.compile(r"^[+-]@?[a-z][a-z|-]{0,40}$")
_PATTERN = re.compile(r"^[A-Za-z0-9:_*?.{}\[\]^-]{1,200}$")
_MOST_PATTERNS = 100


def check_redis(key: str, config: Mapping[str, Any]) -> dict[str, Any]:
    """The config to seal for redis integration `key`; raise InvalidInput when wrong."""
    where = f"redis integration `{key}`"
    checked = server_settings(where, {"admin_user": "default", **config}, default_port=6379)
    checked["key_patterns"] = _patterns(config.get("key_patterns"), where)
    checked["grants"] = _grants(config.get("grants", DEFAULT_GRANTS), where)
    return checked


def _patterns(given: object, where: str) -> list[str]:
    if not isinstance(given, list) or not given or len(given) > _MOST_PATTERNS:
        raise InvalidInput(
            f"{where} needs `key_patterns`: 1 to {_MOST_PATTERNS} key patterns a grant may "
            'reach, e.g. ["orders:*", "cache:*"]'
        )
    bad = [str(p) for p in given if not _PATTERN.match(str(p))]
    if bad:
        raise InvalidInput(
            f"key pattern `{bad[0]}` of {where} may hold letters, digits and `: _ * ? . - [ ] "
            "{ } ^` only (no spaces or `/`)"
        )
    return sorted({str(p) for p in given})


def _grants(given: object, where: str) -> dict[str, list[str]]:
    example = '{"read": ["+@read"]}'
    if not isinstance(given, Mapping) or not given:
        raise InvalidInput(
            f"{where} needs `grants`: the ACL rules each permission gives, e.g. {example}"
        )
    grants: dict[str, list[str]] = {}
    for permission, rules in given.items():
        if permission not in PERMISSIONS:
            raise InvalidInput(
                f"`grants` of {where} names permission `{permission}`: use "
                f"{', '.join(f'`{p}`' for p in PERMISSIONS)}"
            )
        if not isinstance(rules, list) or not rules:
            raise InvalidInput(
                f"the grants for `{permission}` of {where} must list ACL rules, e.g. {example}"
            )
        bad = [str(r) for r in rules if not _RULE.match(str(r))]
        if bad:
            raise InvalidInput(
                f"ACL rule `{bad[0]}` for `{permission}` of {where} must allow or deny a "
                "command or category, such as `+@read`, `-@dangerous` or `+get`"
            )
        grants[str(permission)] = [str(r) for r in rules]
    return grants
