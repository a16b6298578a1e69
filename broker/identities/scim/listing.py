"""Listing and searching users and groups (RFC 7644 §3.4.2): filter, sort, page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from broker.identities.scim.errors import ScimError
from broker.identities.scim.filters import (
    Filter,
    matches,
    parse_filter,
    parse_path,
    sole_equality,
    values_at,
)
from broker.identities.scim.rendering import render_group, render_user
from broker.identities.scim.schema import GROUP_SCHEMA, USER_SCHEMA
from broker.services import Services
from graph import Node

MAX_PAGE = 1000


@dataclass(frozen=True)
class Query:
    filter: str | None = None
    sort_by: str | None = None
    sort_order: str = "ascending"
    start_index: int = 1
    count: int | None = None


@dataclass(frozen=True)
class Page:
    total: int
    start_index: int
    resources: list[dict[str, Any]]


def list_resources(services: Services, *, kind: str, query: Query, base: str) -> Page:
    """`kind` (User or Group) resources matching `query`, one page of them."""
    tree = parse_filter(query.filter) if query.filter else None
    if query.sort_order.lower() not in ("ascending", "descending"):
        raise ScimError(400, "sortOrder must be `ascending` or `descending`", "invalidValue")
    sort_path = parse_path(query.sort_by) if query.sort_by else None
    core = USER_SCHEMA if kind == "User" else GROUP_SCHEMA
    render = render_user if kind == "User" else render_group
    store = services.store
    start = max(query.start_index, 1)
    count = MAX_PAGE if query.count is None else min(max(query.count, 0), MAX_PAGE)
    nodes = _candidates(services, kind, tree)
    if tree is None and sort_path is None:  # render only the page asked for
        page = nodes[start - 1 : start - 1 + count]
        return Page(len(nodes), start, [render(store, n, base) for n in page])
    found = [
        r for r in (render(store, n, base) for n in nodes) if tree is None or matches(tree, r, core)
    ]
    if sort_path is not None:

        def sort_key(resource: dict[str, Any]) -> tuple[int, str]:
            value = next((v for v in values_at(resource, sort_path, core) if v is not None), None)
            return (value is None, str(value).lower() if value is not None else "")

        found.sort(key=sort_key, reverse=query.sort_order.lower() == "descending")
    return Page(len(found), start, found[start - 1 : start - 1 + count])


def _candidates(services: Services, kind: str, tree: Filter | None) -> list[Node]:
    """The nodes a filter may match: for `userName eq`, `id eq` or `displayName eq` (what
    IdPs ask before every create) a lookup by key and by the stored name instead of a
    scan; the filter itself still decides."""
    sole = sole_equality(tree) if tree is not None else None
    key_attrs = {"id", "username"} if kind == "User" else {"id", "displayname"}
    if sole is None or sole[0] not in key_attrs:
        return services.store.find_nodes(kind)
    attr, value = sole
    store = services.store
    found = {n.key: n for n in (store.get_node(kind, k) for k in {value, value.lower()}) if n}
    if attr == "username":
        found.update(
            (n.key, n) for n in store.find_nodes(kind, equals={"user_name": value.lower()})
        )
    elif attr == "displayname":
        found.update((n.key, n) for n in store.find_nodes(kind, equals={"name": value}))
    return [found[key] for key in sorted(found)]
