"""The portal's request page: what the viewer may request, one request, and a preview of
the decision. The broker asks the API policies and the access flows; these pass the caller."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from api.graphql.context import context_of, run_use_case, viewer_of
from api.graphql.types import AccessRequest, RequestAccessInput, seconds_of
from api.graphql.types_portal import RequestablePageResult, RequestPreviewResult
from broker import preview_request, requestable, view_request


@strawberry.type
class PortalQueries:
    @strawberry.field(
        description="Resources, integrations and bundles matching `search` that you may "
        "request, with the flows that allow each (`first` at most 50)."
    )
    async def requestable(
        self,
        info: Info[Any, Any],
        search: str = "",
        first: int = 20,
        after: str | None = None,
    ) -> RequestablePageResult:
        page = await run_use_case(
            requestable,
            context_of(info).services,
            viewer=viewer_of(info).key,
            search=search,
            first=first,
            after=after,
        )
        return RequestablePageResult.of(page)

    @strawberry.field(
        description="One request: yours, one you approve, or any for admins and auditors."
    )
    async def request(self, info: Info[Any, Any], id: strawberry.ID) -> AccessRequest:
        node = await run_use_case(
            view_request, context_of(info).services, viewer=viewer_of(info).key, request=str(id)
        )
        return AccessRequest.of(node)

    @strawberry.field(
        description="The decision requestAccess would make, and why not; nothing is stored."
    )
    async def preview_request(
        self, info: Info[Any, Any], request: RequestAccessInput
    ) -> RequestPreviewResult:
        preview = await run_use_case(
            preview_request,
            context_of(info).services,
            requester=viewer_of(info).key,
            resource=request.resource,
            permissions=request.permissions,
            duration_minutes=request.duration_minutes,
            justification=request.justification,
            beneficiary=request.beneficiary,
            starts_at=seconds_of(request.starts_at),
        )
        return RequestPreviewResult.of(preview)
