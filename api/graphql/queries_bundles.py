"""Bundles for the admins who manage them (`manageBundles`, asked in the broker)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from api.graphql.context import context_of, run_use_case, viewer_of
from api.graphql.types_graph import Ref
from broker import BundlePage, BundleView, list_bundles


@strawberry.type(description="An access flow through which a bundle may be requested.")
class BundleFlow:
    key: str
    name: str
    permissions: list[str]


@strawberry.type(description="A saved bundle: its items and the flows that target it.")
class BundleListing:
    key: str
    name: str
    description: str
    items: list[Ref]
    flows: list[BundleFlow]
    permissions: list[str] = strawberry.field(
        description="every permission a flow targeting the bundle allows; empty: none targets it"
    )

    @classmethod
    def of(cls, view: BundleView) -> BundleListing:
        return cls(
            key=view.node.key,
            name=str(view.node.props.get("name", "")),
            description=str(view.node.props.get("description", "")),
            items=[Ref.of(item) for item in view.items],
            flows=[
                BundleFlow(key=f.key, name=f.name, permissions=list(f.permissions))
                for f in view.flows
            ],
            permissions=list(view.permissions),
        )


@strawberry.type(description="Bundles by key; pass endCursor as `after` for the next page.")
class BundleListingPage:
    bundles: list[BundleListing]
    end_cursor: str | None
    has_next_page: bool


@strawberry.type
class BundleQueries:
    @strawberry.field(description="The saved bundles by key, `first` at a time (admins).")
    async def bundles(
        self, info: Info[Any, Any], first: int = 8, after: str | None = None
    ) -> BundleListingPage:
        page: BundlePage = await run_use_case(
            list_bundles,
            context_of(info).services,
            viewer=viewer_of(info).key,
            first=first,
            after=after,
        )
        return BundleListingPage(
            bundles=[BundleListing.of(view) for view in page.bundles],
            end_cursor=page.end_cursor,
            has_next_page=page.has_next_page,
        )
