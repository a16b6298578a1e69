"""Reads several use cases share: people, flows, and who asked, for whom and for what."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from broker.authorize import authorize
from broker.errors import Forbidden, InvalidInput, NotFound
from broker.services import Services
from graph import GraphStore, IdentityContext, Node, NodeRef, UnknownNode
from policies.api_authz import Target
from policies.flows import AccessFlow, FlowInvalid

T = TypeVar("T")


def load_user(store: GraphStore, key: str) -> Node:
    return enabled_user(key, store.get_node("User", key))


def load_identity(store: GraphStore, key: str, *, kind: str = "User") -> IdentityContext:
    """User `key` (or the ExternalUser, by `kind`) with their groups and manager, in one
    read; refused as `load_user` does."""
    try:
        found = store.identity_context(NodeRef(kind, key))
    except UnknownNode as missing:
        raise _no_user(key) from missing
    enabled_user(key, found.node)
    return found


def _no_user(key: str) -> NotFound:
    return NotFound(f"no user `{key}` exists: check the email or sync the directory")


def enabled_user(key: str, node: Node | None) -> Node:
    """User `key` as read (`node`), refused as `load_user` refuses it."""
    if node is None:
        raise _no_user(key)
    if node.props.get("disabled"):
        raise Forbidden(f"user `{key}` is disabled")
    return node


def require_allowed(services: Services, actor: str, action: str, target: Target) -> Node:
    """The user `actor`, if the API policies let them `action` on `target`; else raise."""
    user = load_user(services.store, actor)
    authorize(services, user=user, action=action, target=target)
    return user


def read_definition(read: Callable[[dict[str, Any]], T], given: T | Mapping[str, Any]) -> T:
    """`given` as read by `read` when it is a definition as the API received it (a mapping);
    a definition that does not read raises InvalidInput naming the fault."""
    if not isinstance(given, Mapping):
        return given
    try:
        return read(dict(given))
    except FlowInvalid as bad:
        raise InvalidInput(str(bad)) from bad


def load_flow(store: GraphStore, key: str) -> AccessFlow:
    node = store.get_node("AccessFlow", key)
    if node is None:
        raise NotFound(f"no access flow `{key}` exists")
    return AccessFlow.from_json(str(node.props["definition"]))


def known_flow(services: Services, key: str) -> AccessFlow:
    """Flow `key` as the policy engine holds it (kept in step with the graph), read from the
    graph only when the engine does not know it; NotFound when it does not exist."""
    return services.engine.flows.get(key) or load_flow(services.store, key)


def load_request(store: GraphStore, key: str) -> Node:
    node = store.get_node("AccessRequest", key)
    if node is None:
        raise NotFound(f"no access request `{key}` exists: check the id")
    return node


def requester_of(store: GraphStore, request: Node) -> NodeRef:
    edges = store.edges("REQUESTED", dst=request.ref)
    if edges:
        return edges[0].src
    return NodeRef("User", str(request.props["requester"]))


def beneficiary_of(store: GraphStore, request: Node) -> NodeRef:
    """Who gets the access `request` asks for: its `beneficiary`, else the requester."""
    key = request.props.get("beneficiary")
    kind = request.props.get("beneficiary_kind")
    if key and kind:
        return NodeRef(str(kind), str(key))
    if not key or key == request.props.get("requester"):
        return requester_of(store, request)
    if store.get_node("User", str(key)) is not None:
        return NodeRef("User", str(key))
    return NodeRef("ExternalUser", str(key))


def target_of(store: GraphStore, request: Node) -> NodeRef:
    """What `request` asks access to: a Resource, or an Integration as a whole."""
    kind = request.props.get("target_kind")
    if kind:
        return NodeRef(str(kind), str(request.props["resource"]))
    for edge in store.edges("FOR", src=request.ref):
        return edge.dst
    return NodeRef("Resource", str(request.props["resource"]))
