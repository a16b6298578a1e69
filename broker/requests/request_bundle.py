"""A person asks for a whole bundle, or a chosen part of it: one request per item, all
allowed and stored together or none at all."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import NoReturn

from broker import _text, audit
from broker._lookup import load_request, require_allowed
from broker._text import check_text, check_texts
from broker.errors import AccessDenied, InvalidInput, NotFound, StateConflict
from broker.flows._bundle_tree import bundle_tree
from broker.grants._write import GrantFailed
from broker.requests._new_request import Prepared, ask, decide, denied_event, prepare
from broker.requests.request_access import submit
from broker.services import Services
from graph import GraphStore, Node, NodeRef, ResourceContext, UnknownNode
from policies.api_authz import Target


def request_bundle(
    services: Services,
    *,
    requester: str,
    bundle: str,
    items: Sequence[str] | None = None,
    permissions: Sequence[str],
    duration_minutes: int | None = None,
    justification: str = "",
    beneficiary: str | None = None,
    starts_at: float | None = None,
) -> list[Node]:
    """One AccessRequest per item of `bundle` (or per chosen item), sharing a `batch` id.

    Items resolve through nested bundles; an Integration item means that integration as a
    whole. If any item is refused (no flow allows it, or nobody could approve it), the
    whole request is refused naming that item and why, and no request is stored. The
    items then go on as single requests do: pending review, approved until a later
    start, or granted at once. Returns them in the bundle's order. Forbidden first when
    the API policies do not let `requester` request access.
    """
    require_allowed(services, requester, "requestAccess", Target.api())
    store = services.store
    check_text("bundle", bundle, most=_text.KEY)
    if items is not None:
        check_texts("items", items, most_items=_text.ITEMS, most_each=_text.KEY)
    if store.get_node("Bundle", bundle) is None:
        raise NotFound(f"no bundle `{bundle}` exists: check its key")
    chosen = _chosen(store, bundle, items)
    asked = ask(
        services,
        requester=requester,
        permissions=permissions,
        duration_minutes=duration_minutes,
        justification=justification,
        trigger="portal",
        beneficiary=beneficiary,
        starts_at=starts_at,
    )
    extra = {"bundle": bundle, "batch": f"batch_{uuid.uuid4().hex}"}
    targets = [_context(store, ref) for ref in chosen]
    prepared: list[Prepared] = []
    refused: list[tuple[ResourceContext, str, audit.Entry | None]] = []
    for target in targets:
        decision, minutes = decide(services, asked, target)
        if not decision.allowed:
            entry = denied_event(services, asked, target, decision, **extra)
            refused.append((target, decision.reason, entry))
            continue
        try:
            prepared.append(prepare(services, asked, target, decision, minutes, extra))
        except InvalidInput as nobody:
            refused.append((target, str(nobody), None))
    if refused:
        _refuse(services, bundle, refused)
    ops = [op for p in prepared for op in p.ops]
    audit.write_all(store, ops, [p.event for p in prepared])
    return [_go_on(services, p) for p in prepared]


def bundle_items(store: GraphStore, bundle: str) -> list[NodeRef]:
    """The Resources and Integrations `bundle` holds, through nested bundles, each once."""
    return list(bundle_tree(store, bundle).items)


def _chosen(store: GraphStore, bundle: str, items: Sequence[str] | None) -> list[NodeRef]:
    held = bundle_items(store, bundle)
    if items is None:
        chosen = held
    else:
        by_key = {ref.key: ref for ref in reversed(held)}
        chosen = []
        for key in dict.fromkeys(items):
            if key not in by_key:
                raise InvalidInput(
                    f"`{key}` is not an item of bundle `{bundle}`: choose among its items, "
                    "or name none to request all of them"
                )
            chosen.append(by_key[key])
    if not chosen:
        raise InvalidInput(f"bundle `{bundle}` holds nothing to request: ask an admin to fill it")
    return chosen


def _context(store: GraphStore, ref: NodeRef) -> ResourceContext:
    try:
        return store.resource_context(ref)
    except UnknownNode as gone:  # removed since the bundle was read
        raise NotFound(f"no {ref.kind.lower()} `{ref.key}` exists any more: try again") from gone


def _refuse(
    services: Services,
    bundle: str,
    refused: list[tuple[ResourceContext, str, audit.Entry | None]],
) -> NoReturn:
    """Trace the refused items, then refuse the whole bundle request naming the first."""
    entries = [entry for _, _, entry in refused if entry is not None]
    if entries:
        audit.write_all(services.store, [], entries)
    target, reason, _ = refused[0]
    more = f" (and {len(refused) - 1} more item(s))" if len(refused) > 1 else ""
    message = (
        f"bundle `{bundle}` cannot be requested: item `{target.node.key}` is refused{more}: "
        f"{reason}; choose the items a flow covers, or ask an admin"
    )
    if refused[0][2] is not None:
        raise AccessDenied(message)
    raise InvalidInput(message)


def _go_on(services: Services, prepared: Prepared) -> Node:
    """Take a stored item as far as it goes; one item's failure does not stop the rest."""
    try:
        return submit(services, prepared, stored=True)
    except (GrantFailed, StateConflict):  # recorded FAILED, or cancelled meanwhile
        return load_request(services.store, prepared.node.key)
