"""Bundles: admins save and delete them (`manageBundles`); people request them (the broker
asks the API policies for both)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from api.graphql.context import context_of, run_use_case, viewer_of
from api.graphql.types import AccessRequest, seconds_of
from api.graphql.types_bundles import Bundle, BundleInput, RequestBundleInput
from broker import Services, delete_bundle, request_bundle, save_bundle
from graph import Node, NodeRef


def _saved(services: Services, **kwargs: Any) -> tuple[Node, list[NodeRef]]:
    node = save_bundle(services, **kwargs)
    items = services.store.edges("COVERS", src=node.ref)
    return node, sorted((e.dst for e in items), key=lambda r: (r.kind, r.key))


@strawberry.type
class BundleMutations:
    @strawberry.mutation(description="Create a bundle or replace its name and items (admins).")
    async def save_bundle(self, info: Info[Any, Any], bundle: BundleInput) -> Bundle:
        node, items = await run_use_case(
            _saved,
            context_of(info).services,
            actor=viewer_of(info).key,
            key=bundle.key,
            name=bundle.name,
            description=bundle.description,
            items=[item.ref for item in bundle.items],
        )
        return Bundle.of(node, items)

    @strawberry.mutation(description="Delete a bundle no flow targets (admins).")
    async def delete_bundle(self, info: Info[Any, Any], key: str) -> bool:
        await run_use_case(
            delete_bundle, context_of(info).services, actor=viewer_of(info).key, key=key
        )
        return True

    @strawberry.mutation(description="Request a bundle: one request per item, all or none.")
    async def request_bundle(
        self, info: Info[Any, Any], request: RequestBundleInput
    ) -> list[AccessRequest]:
        nodes = await run_use_case(
            request_bundle,
            context_of(info).services,
            requester=viewer_of(info).key,
            bundle=request.bundle,
            items=request.items,
            permissions=request.permissions,
            duration_minutes=request.duration_minutes,
            justification=request.justification,
            beneficiary=request.beneficiary,
            starts_at=seconds_of(request.starts_at),
        )
        return [AccessRequest.of(n) for n in nodes]
