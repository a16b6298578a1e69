"""GraphQL types of the access-graph analyses, built from graph.analysis results."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

import graph.analysis as analysis
from api.graphql.context import context_of, run_use_case, viewer_of
from api.graphql.paging import DEFAULT_PAGE, First, Offset, window
from api.graphql.types import time_of
from broker import graph_queries
from graph import Node, NodeRef, QueryResult


@strawberry.enum(description="What an analysis starts from: a person or a group.")
class IdentityKind(Enum):
    USER = "User"
    EXTERNAL_USER = "ExternalUser"
    GROUP = "Group"


@strawberry.enum(description="What can be accessed: a resource or a whole integration.")
class ResourceKind(Enum):
    RESOURCE = "Resource"
    INTEGRATION = "Integration"


@strawberry.type(name="NodeRef", description="A node of the access graph by kind and key.")
class Ref:
    kind: str
    key: str

    @classmethod
    def of(cls, ref: NodeRef) -> Ref:
        return cls(kind=ref.kind, key=ref.key)


@strawberry.type
class AccessPath:
    nodes: list[Ref]
    edges: list[str] = strawberry.field(description="edges[i] joins nodes[i] and nodes[i+1]")

    @classmethod
    def of(cls, path: analysis.AccessPath) -> AccessPath:
        return cls(nodes=[Ref.of(n) for n in path.nodes], edges=list(path.edges))


@strawberry.type(description="One grant that lets an identity reach a resource now, and how.")
class Access:
    identity: Ref
    resource: Ref
    grant: str
    holder: Ref
    granted_on: Ref
    groups: list[str]
    parents: list[Ref]
    permissions: list[str]
    standing: bool
    expires_at: datetime | None
    through_groups: bool
    inherited: bool
    path: AccessPath

    @classmethod
    def of(cls, found: analysis.Access) -> Access:
        return cls(
            identity=Ref.of(found.identity),
            resource=Ref.of(found.resource),
            grant=found.grant,
            holder=Ref.of(found.holder),
            granted_on=Ref.of(found.granted_on),
            groups=list(found.groups),
            parents=[Ref.of(p) for p in found.parents],
            permissions=list(found.permissions),
            standing=found.standing,
            expires_at=time_of(found.expires_at),
            through_groups=found.through_groups,
            inherited=found.inherited,
            path=AccessPath.of(found.path),
        )


@strawberry.type(description="An identity an enabled access flow lets request a resource.")
class Requester:
    identity: Ref
    flow: str
    groups: list[str]
    everyone: bool

    @classmethod
    def of(cls, found: analysis.Requester) -> Requester:
        return cls(
            identity=Ref.of(found.identity),
            flow=found.flow,
            groups=list(found.groups),
            everyone=found.everyone,
        )


@strawberry.type
class Count:
    key: str
    count: int


@strawberry.type(description="What an identity reaches now, per integration and per tag.")
class BlastRadius:
    identity: Ref
    resources: int
    per_integration: list[Count]
    per_tag: list[Count]

    @classmethod
    def of(cls, found: analysis.BlastRadius) -> BlastRadius:
        return cls(
            identity=Ref.of(found.identity),
            resources=found.resources,
            per_integration=[Count(key=k, count=n) for k, n in found.per_integration.items()],
            per_tag=[Count(key=k, count=n) for k, n in found.per_tag.items()],
        )


@strawberry.type
class SavedQueryParameter:
    name: str
    default: JSON | None = strawberry.field(description="null: the caller gives it")


@strawberry.type(description="A named, described audit question about the access graph.")
class SavedQuery:
    name: str
    description: str
    parameters: list[SavedQueryParameter]

    @classmethod
    def of(cls, query: analysis.SavedQuery) -> SavedQuery:
        params = [SavedQueryParameter(name=k, default=v) for k, v in query.defaults.items()]
        return cls(name=query.name, description=query.description, parameters=params)


@strawberry.type(description="One answer to a saved query.")
class Finding:
    subject: Ref
    target: Ref | None
    detail: str

    @classmethod
    def of(cls, found: analysis.Finding) -> Finding:
        target = None if found.target is None else Ref.of(found.target)
        return cls(subject=Ref.of(found.subject), target=target, detail=found.detail)


@strawberry.type(description="A raw query's answer: columns in RETURN order and rows of values.")
class QueryRows:
    columns: list[str]
    rows: JSON
    truncated: bool

    @classmethod
    def of(cls, result: QueryResult) -> QueryRows:
        rows = [list(row) for row in result.rows]
        return cls(columns=list(result.columns), rows=JSON(rows), truncated=result.truncated)


@strawberry.enum
class Direction(Enum):
    OUT = "out"
    IN = "in"


@strawberry.type(description="A node of the access graph, secrets left out, to browse from.")
class GraphNode:
    kind: str
    key: str
    props: JSON

    @strawberry.field(description="The nodes one `edge` away, along it (OUT) or against it.")
    async def neighbours(
        self,
        info: Info[Any, Any],
        edge: str,
        direction: Direction = Direction.OUT,
        first: First = DEFAULT_PAGE,
        offset: Offset = 0,
    ) -> list[GraphNode]:
        span = window(first, offset)
        found = await run_use_case(
            graph_queries.neighbours,
            context_of(info).services,
            viewer=viewer_of(info).key,
            ref=NodeRef(self.kind, self.key),
            edge=edge,
            outgoing=direction is Direction.OUT,
        )
        return [GraphNode.of(n) for n in found[span]]

    @classmethod
    def of(cls, node: Node) -> GraphNode:
        return cls(kind=node.kind, key=node.key, props=JSON(dict(node.props)))
