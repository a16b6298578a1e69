"""GraphQL types of bundles: named sets of resources, integrations and other bundles."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from api.graphql.types_graph import Ref
from graph import Node, NodeRef


@strawberry.enum
class BundleItemKind(Enum):
    RESOURCE = "Resource"
    INTEGRATION = "Integration"
    BUNDLE = "Bundle"


@strawberry.input
class BundleItemInput:
    key: str
    kind: BundleItemKind = BundleItemKind.RESOURCE

    @property
    def ref(self) -> NodeRef:
        return NodeRef(self.kind.value, self.key)


@strawberry.input
class BundleInput:
    key: str
    name: str
    description: str = ""
    items: list[BundleItemInput] = strawberry.field(default_factory=list)


@strawberry.type
class Bundle:
    key: str
    name: str
    description: str
    items: list[Ref]

    @classmethod
    def of(cls, node: Node, items: list[NodeRef]) -> Bundle:
        return cls(
            key=node.key,
            name=str(node.props.get("name", "")),
            description=str(node.props.get("description", "")),
            items=[Ref.of(i) for i in items],
        )


@strawberry.input(description="Request every item of a bundle, or the chosen ones.")
class RequestBundleInput:
    bundle: str
    items: list[str] | None = strawberry.field(
        default=None, description="item keys; left out: all of the bundle"
    )
    permissions: list[str] = strawberry.field(default_factory=lambda: ["read"])
    duration_minutes: int | None = None
    justification: str = ""
    beneficiary: str | None = None
    starts_at: datetime | None = None
