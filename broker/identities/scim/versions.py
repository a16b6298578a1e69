"""A SCIM resource looked up for a change: 404 when it does not exist, 412 when the client's
`If-Match` names a version other than the current one. Users and groups alike."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from broker.identities.scim.documents import etag
from broker.identities.scim.errors import ScimError, not_found
from broker.services import Services
from graph import GraphStore, Node

Render = Callable[[GraphStore, Node, str], dict[str, Any]]


def existing(services: Services, kind: str, key: str) -> Node:
    """Node `key` of `kind` ("User" or "Group"); a SCIM 404 when there is none."""
    node = services.store.get_node(kind, key)
    if node is None:
        raise not_found(kind, key)
    return node


def matching(
    services: Services, kind: str, key: str, base: str, if_match: str | None, render: Render
) -> tuple[Node, dict[str, Any]]:
    """Node `key` and its resource, 412 unless `if_match` names its version."""
    node = existing(services, kind, key)
    resource = render(services.store, node, base)
    check_if_match(if_match, resource)
    return node, resource


def check_if_match(if_match: str | None, resource: dict[str, Any]) -> None:
    """412 unless `If-Match` (when sent) names the resource's current version."""
    if if_match is None or if_match.strip() == "*":
        return
    wanted = {tag.strip() for tag in if_match.split(",")}
    current = etag(resource)
    if current not in wanted and current.removeprefix("W/") not in wanted:
        raise ScimError(
            412, f"the resource changed: its version is now {current}; GET it and try again"
        )
