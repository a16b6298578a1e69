"""The bundles admins have saved: each with its items and the flows (and so the
permissions) through which people may request it."""

from __future__ import annotations

from dataclasses import dataclass

from broker import _text
from broker._lookup import require_allowed
from broker._text import check_text
from broker.errors import InvalidInput
from broker.services import Services
from graph import Node, NodeRef
from policies.api_authz import Target
from policies.flows import AccessFlow

MAX_BUNDLES = 100


@dataclass(frozen=True)
class BundleView:
    """A bundle, its direct items (kind, then key order) and the flows that target it."""

    node: Node
    items: tuple[NodeRef, ...]
    flows: tuple[AccessFlow, ...]

    @property
    def permissions(self) -> tuple[str, ...]:
        """Every permission some flow targeting the bundle allows, sorted."""
        return tuple(sorted({p for flow in self.flows for p in flow.permissions}))


@dataclass(frozen=True)
class BundlePage:
    """Bundles by key; `end_cursor` (the last one's key) is the next page's `after`."""

    bundles: tuple[BundleView, ...]
    has_next_page: bool

    @property
    def end_cursor(self) -> str | None:
        return self.bundles[-1].node.key if self.bundles else None


def list_bundles(
    services: Services, *, viewer: str, first: int = 8, after: str | None = None
) -> BundlePage:
    """Up to `first` bundles by key after the key `after`, for the admins who manage them."""
    require_allowed(services, viewer, "manageBundles", Target.api())
    if not 1 <= first <= MAX_BUNDLES:
        raise InvalidInput(f"page size `{first}` is outside 1..{MAX_BUNDLES}: ask for fewer")
    if after is not None:
        check_text("bundle cursor", after, most=_text.KEY)
    store = services.store
    later = (n for n in store.find_nodes("Bundle") if after is None or n.key > after)
    chosen = sorted(later, key=lambda node: node.key)[: first + 1]
    # Every flow read once, not once per bundle.
    flows = [
        AccessFlow.from_json(str(n.props["definition"])) for n in store.find_nodes("AccessFlow")
    ]
    views = []
    for bundle in chosen[:first]:
        held = (edge.dst for edge in store.edges("COVERS", src=bundle.ref))
        items = tuple(sorted(held, key=lambda ref: (ref.kind, ref.key)))
        targeting = tuple(
            sorted((f for f in flows if bundle.key in f.bundles), key=lambda f: f.key)
        )
        views.append(BundleView(node=bundle, items=items, flows=targeting))
    return BundlePage(tuple(views), len(chosen) > first)
