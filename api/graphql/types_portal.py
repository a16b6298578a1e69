"""GraphQL types of the portal's request page: what may be requested, on which terms, and
what a request would get before it is sent."""

from __future__ import annotations

import strawberry

from broker import FlowOffer, Preview, Requestable, RequestablePage


@strawberry.type(name="FlowOffer", description="A flow that lets you request an item.")
class FlowOfferResult:
    flow: str
    name: str
    permissions: list[str]
    max_duration_minutes: int
    default_duration_minutes: int
    justification_required: bool
    approval: str = strawberry.field(description="who approves, in words")

    @classmethod
    def of(cls, offer: FlowOffer) -> FlowOfferResult:
        return cls(
            flow=offer.flow,
            name=offer.name,
            permissions=list(offer.permissions),
            max_duration_minutes=offer.max_duration_minutes,
            default_duration_minutes=offer.default_duration_minutes,
            justification_required=offer.justification_required,
            approval=offer.approval,
        )


@strawberry.type(
    name="Requestable",
    description="A resource, an integration as a whole, or a bundle you may request.",
)
class RequestableResult:
    kind: str = strawberry.field(description="Resource, Integration or Bundle")
    key: str
    name: str
    type: str
    tags: list[str]
    flows: list[FlowOfferResult]

    @classmethod
    def of(cls, item: Requestable) -> RequestableResult:
        return cls(
            kind=item.kind,
            key=item.key,
            name=item.name,
            type=item.type,
            tags=list(item.tags),
            flows=[FlowOfferResult.of(o) for o in item.flows],
        )


@strawberry.type(
    name="RequestablePage",
    description="What you may request, by key; pass endCursor as `after` for more (a page "
    "may hold fewer than asked while hasNextPage is true).",
)
class RequestablePageResult:
    items: list[RequestableResult]
    end_cursor: str | None
    has_next_page: bool

    @classmethod
    def of(cls, page: RequestablePage) -> RequestablePageResult:
        return cls(
            items=[RequestableResult.of(i) for i in page.items],
            end_cursor=page.end_cursor,
            has_next_page=page.has_next_page,
        )


@strawberry.type(
    name="RequestPreview",
    description="What requestAccess would answer now; nothing is stored.",
)
class RequestPreviewResult:
    allowed: bool
    explanation: str = strawberry.field(
        description="why not, as the policies say; empty when allowed"
    )
    flow: FlowOfferResult | None
    duration_minutes: int

    @classmethod
    def of(cls, preview: Preview) -> RequestPreviewResult:
        return cls(
            allowed=preview.allowed,
            explanation=preview.explanation,
            flow=FlowOfferResult.of(preview.flow) if preview.flow else None,
            duration_minutes=preview.duration_minutes,
        )
