"""One request, for those who may see it: the page every mail's link opens."""

from __future__ import annotations

from broker import _text
from broker._guard import request_as
from broker._lookup import beneficiary_of
from broker._text import check_text
from broker.errors import Forbidden, StateConflict
from broker.requests._deciding import approvals, check_can_decide
from broker.services import Services
from graph import Node, NodeRef


def view_request(services: Services, *, viewer: str, request: str) -> Node:
    """Request `request`, when `viewer` may see it: its requester, an admin or an auditor
    (the API policies' `viewRequest`), whom it grants access to, or an approver (of its
    current step, or who approved it). Anyone else gets the same Forbidden whether it
    exists or not; NotFound is for those who may see every request."""
    check_text("request id", request, most=_text.KEY)
    try:
        return request_as(services, viewer, request, "viewRequest")[1]
    except Forbidden:
        pass
    node = services.store.get_node("AccessRequest", request)
    if node is not None and _involved(services, viewer, node):
        return node
    raise Forbidden(
        f"you may not see request `{request}`, or no such request exists: check the id, "
        "or find it in your requests and approvals"
    )


def _involved(services: Services, viewer: str, node: Node) -> bool:
    """Whether `viewer` receives the access `node` asks for or reviews it, the relations
    `viewRequest` does not hold (they are the graph's, not the request's props)."""
    store = services.store
    if beneficiary_of(store, node) == NodeRef("User", viewer):
        return True  # the portal lists it among their requests too
    if viewer in approvals(store, node):
        return True
    try:
        check_can_decide(services, approver=viewer, request=node.key)
    except StateConflict:
        return True  # an approver of its current step, and it is decided already
    except Forbidden:
        return False
    return True
