"""Access-graph analyses for admins and auditors (`queryGraph`, asked in the broker);
anyone may ask for their own effective access."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from api.graphql.context import context_of, run_use_case, viewer_of
from api.graphql.paging import DEFAULT_PAGE, First, Offset, window
from api.graphql.types_graph import (
    Access,
    AccessPath,
    BlastRadius,
    Finding,
    GraphNode,
    IdentityKind,
    QueryRows,
    Requester,
    ResourceKind,
    SavedQuery,
)
from broker import graph_queries as gq
from graph import NodeRef

_USER = IdentityKind.USER
_RESOURCE = ResourceKind.RESOURCE


async def _ask(info: Info[Any, Any], fn: Any, **kwargs: Any) -> Any:
    return await run_use_case(fn, context_of(info).services, viewer=viewer_of(info).key, **kwargs)


@strawberry.type
class GraphQueries:
    @strawberry.field(description="Every resource an identity reaches now, and how.")
    async def effective_access(
        self,
        info: Info[Any, Any],
        identity: str,
        kind: IdentityKind = _USER,
        first: First = DEFAULT_PAGE,
        offset: Offset = 0,
    ) -> list[Access]:
        span = window(first, offset)
        found = await _ask(info, gq.effective_access, identity=NodeRef(kind.value, identity))
        return [Access.of(a) for a in found[span]]

    @strawberry.field(description="Every identity with access to a resource now, with the path.")
    async def who_can_access(
        self,
        info: Info[Any, Any],
        resource: str,
        kind: ResourceKind = _RESOURCE,
        first: First = DEFAULT_PAGE,
        offset: Offset = 0,
    ) -> list[Access]:
        span = window(first, offset)
        found = await _ask(info, gq.who_can_access, resource=NodeRef(kind.value, resource))
        return [Access.of(a) for a in found[span]]

    @strawberry.field(description="Identities an enabled access flow lets request a resource.")
    async def who_could_request(
        self,
        info: Info[Any, Any],
        resource: str,
        kind: ResourceKind = _RESOURCE,
        first: First = DEFAULT_PAGE,
        offset: Offset = 0,
    ) -> list[Requester]:
        span = window(first, offset)
        found = await _ask(info, gq.who_could_request, resource=NodeRef(kind.value, resource))
        return [Requester.of(r) for r in found[span]]

    @strawberry.field(description="Every path from an identity to a resource, through grants now.")
    async def access_paths(
        self,
        info: Info[Any, Any],
        identity: str,
        resource: str,
        max_depth: int = 6,
        identity_kind: IdentityKind = _USER,
        resource_kind: ResourceKind = _RESOURCE,
        first: First = DEFAULT_PAGE,
        offset: Offset = 0,
    ) -> list[AccessPath]:
        span = window(first, offset)
        found = await _ask(
            info,
            gq.access_paths,
            identity=NodeRef(identity_kind.value, identity),
            resource=NodeRef(resource_kind.value, resource),
            max_depth=max_depth,
        )
        return [AccessPath.of(p) for p in found[span]]

    @strawberry.field(description="What an identity reaches now, per integration and per tag.")
    async def blast_radius(
        self, info: Info[Any, Any], identity: str, kind: IdentityKind = _USER
    ) -> BlastRadius:
        found = await _ask(info, gq.blast_radius, identity=NodeRef(kind.value, identity))
        return BlastRadius.of(found)

    @strawberry.field(description="The library of saved audit queries.")
    async def saved_queries(
        self, info: Info[Any, Any], first: First = DEFAULT_PAGE, offset: Offset = 0
    ) -> list[SavedQuery]:
        span = window(first, offset)
        return [SavedQuery.of(q) for q in (await _ask(info, gq.saved_queries))[span]]

    @strawberry.field(description="Run a saved audit query; `now` defaults to the present.")
    async def run_saved_query(
        self,
        info: Info[Any, Any],
        name: str,
        params: JSON | None = None,
        first: First = DEFAULT_PAGE,
        offset: Offset = 0,
    ) -> list[Finding]:
        span = window(first, offset)
        found = await _ask(info, gq.run_saved_query, name=name, params=params)
        return [Finding.of(f) for f in found[span]]

    @strawberry.field(description="Read-only Cypher with `$name` parameters; writes are refused.")
    async def raw_query(
        self,
        info: Info[Any, Any],
        cypher: str,
        params: JSON | None = None,
        row_cap: int = 1000,
    ) -> QueryRows:
        found = await _ask(info, gq.raw_query, cypher=cypher, params=params, row_cap=row_cap)
        return QueryRows.of(found)

    @strawberry.field(description="One node of the access graph, to browse from.")
    async def graph_node(self, info: Info[Any, Any], kind: str, key: str) -> GraphNode:
        return GraphNode.of(await _ask(info, gq.graph_node, ref=NodeRef(kind, key)))
