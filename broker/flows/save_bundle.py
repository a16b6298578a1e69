"""Admins group resources, integrations and other bundles into a bundle people request
together (and flows may target)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from broker import _text, audit
from broker._lookup import require_allowed
from broker._text import check_text, check_texts
from broker.errors import InvalidInput, NotFound, StateConflict
from broker.flows._bundle_tree import bundle_tree
from broker.services import Services
from graph import (
    ConflictError,
    DeleteEdge,
    DeleteNode,
    GraphStore,
    Node,
    NodeRef,
    SetProps,
    UpsertEdge,
    UpsertNode,
    WriteOp,
)
from policies.api_authz import Target
from policies.flows import AccessFlow

ITEM_KINDS = ("Resource", "Integration", "Bundle")
_KEY = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")


def save_bundle(
    services: Services,
    *,
    actor: str,
    key: str,
    name: str,
    description: str = "",
    items: Sequence[NodeRef],
) -> Node:
    """Create bundle `key` or replace its name, description and item set, in one write.

    Items are Resources, Integrations or other Bundles; each must exist and no bundle may
    end up inside itself. Bad input raises InvalidInput or NotFound and changes nothing;
    a concurrent save of the same bundle makes the later one a StateConflict.
    """
    require_allowed(services, actor, "manageBundles", Target.api())
    store = services.store
    wanted = _check(store, key, name, items)
    check_text("bundle description", description, most=_text.DESCRIPTION, multiline=True)
    previous = store.get_node("Bundle", key)
    now = services.clock()
    if previous is not None:
        # Strictly later than the save it replaces, so the compare-and-set below tells
        # two saves apart even when the clock did not move between them.
        now = max(now, float(previous.props.get("updated_at") or 0.0) + 0.001)
    props = {"name": name.strip(), "description": description, "updated_at": now}
    ops: list[WriteOp]
    if previous is None or "updated_at" not in previous.props:
        ops = [UpsertNode("Bundle", key, props)]
    else:
        # Compare-and-set on the last save, so two admins' item sets never blend.
        expect = {"updated_at": previous.props.get("updated_at")}
        ops = [SetProps("Bundle", key, props, expect)]
    ref = NodeRef("Bundle", key)
    have = {edge.dst for edge in store.edges("COVERS", src=ref)}
    ops += [DeleteEdge("COVERS", ref, item) for item in sorted(have - set(wanted), key=_order)]
    ops += [UpsertEdge("COVERS", ref, item) for item in wanted if item not in have]
    entry = audit.Entry(
        kind="bundle.created" if previous is None else "bundle.saved",
        at=now,
        actor=actor,
        subject=key,
        data={
            "name": name.strip(),
            "description": description,
            "items": [f"{item.kind}:{item.key}" for item in wanted],
        },
    )
    try:
        audit.write(store, ops, entry)
    except ConflictError as lost:
        raise StateConflict(
            f"bundle `{key}` was changed by someone else meanwhile: reload it and save again"
        ) from lost
    return Node("Bundle", key, props)


def delete_bundle(services: Services, *, actor: str, key: str) -> None:
    """Delete bundle `key`; refused while a flow targets it or another bundle holds it."""
    require_allowed(services, actor, "manageBundles", Target.api())
    store = services.store
    check_text("bundle key", key, most=_text.KEY)
    if store.get_node("Bundle", key) is None:
        raise NotFound(f"no bundle `{key}` exists: check its key")
    flows = flows_targeting(store, key)
    if flows:
        raise StateConflict(
            f"bundle `{key}` is targeted by access flow `{flows[0]}`: remove it from that "
            "flow first"
        )
    ref = NodeRef("Bundle", key)
    holders = sorted(e.src.key for e in store.edges("COVERS", dst=ref) if e.src.kind == "Bundle")
    if holders:
        raise StateConflict(
            f"bundle `{key}` is an item of bundle `{holders[0]}`: remove it from there first"
        )
    entry = audit.Entry(kind="bundle.deleted", at=services.clock(), actor=actor, subject=key)
    audit.write(store, [DeleteNode("Bundle", key)], entry)


def flows_targeting(store: GraphStore, bundle: str) -> list[str]:
    """The keys of the access flows that name `bundle` among their targets."""
    found = []
    for node in store.find_nodes("AccessFlow"):
        flow = AccessFlow.from_json(str(node.props["definition"]))
        if bundle in flow.bundles:
            found.append(flow.key)
    return found


def _check(store: GraphStore, key: str, name: str, items: Sequence[NodeRef]) -> list[NodeRef]:
    """The distinct items in order, once each is known to exist and cause no cycle."""
    check_text("bundle key", key, most=_text.KEY)
    check_text("bundle name", name, most=_text.NAME)
    check_texts("bundle items", [i.key for i in items], most_items=_text.ITEMS, most_each=_text.KEY)
    if not _KEY.fullmatch(key):
        raise InvalidInput(
            f"bundle key `{key}` must be 1-63 lowercase letters, digits, `.`, `_` or `-`"
        )
    if not name.strip():
        raise InvalidInput(f"bundle `{key}` needs a name")
    wanted = list(dict.fromkeys(items))
    for item in wanted:
        if item.kind not in ITEM_KINDS:
            raise InvalidInput(
                f"bundle `{key}` cannot hold {item.kind.lower()} `{item.key}`: a bundle holds "
                "resources, integrations and other bundles"
            )
        if item == NodeRef("Bundle", key):
            raise InvalidInput(f"bundle `{key}` cannot hold itself: remove it from its items")
        if store.get_node(item.kind, item.key) is None:
            raise NotFound(
                f"bundle `{key}` names {item.kind.lower()} `{item.key}`, which does not exist: "
                "sync it first or fix the name"
            )
    for item in wanted:
        if item.kind == "Bundle" and key in bundle_tree(store, item.key).bundles:
            raise InvalidInput(
                f"bundle `{key}` cannot hold bundle `{item.key}`, which holds `{key}` "
                "itself: a bundle may not end up inside itself"
            )
    return wanted


def _order(ref: NodeRef) -> tuple[str, str]:
    return (ref.kind, ref.key)
