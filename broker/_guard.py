"""Authorize the caller before telling them anything about the object they name.

A caller who may not act on a request or a task gets the same answer whether it exists or
not: the policies are asked first, about a stand-in that belongs to nobody when the object
is missing, so only those who could act on any such object (admins, mostly) learn that it
does not exist. Without this, `revokeGrant` on a random id told a grantee which ids exist.
"""

from __future__ import annotations

from broker._lookup import load_user
from broker.authorize import authorize
from broker.errors import NotFound
from broker.grants._grants import request_target
from broker.services import Services
from graph import Node
from policies.api_authz import Target


def request_as(services: Services, actor: str, request: str, action: str) -> tuple[Node, Node]:
    """The user `actor` and the request `request`, once the API policies let them `action`
    it; Forbidden otherwise, with the same words for a missing request as for someone
    else's. NotFound only for a caller who could `action` any request."""
    user = load_user(services.store, actor)
    node = services.store.get_node("AccessRequest", request)
    if node is None:
        nobodys = Target.access_request(request, requester=None, flow="")
        authorize(services, user=user, action=action, target=nobodys)
        raise NotFound(f"no access request `{request}` exists: check the id")
    authorize(services, user=user, action=action, target=request_target(services.store, node))
    return user, node


def task_as(services: Services, actor: str, task: str) -> Node:
    """Task `task`, once `actor` may complete it (an assignee or an admin); Forbidden for
    anyone else, whether it exists or not."""
    user = load_user(services.store, actor)
    node = services.store.get_node("Task", task)
    held = node.props.get("assignees") if node is not None else None
    assignees = frozenset(str(u) for u in held or [])
    target = Target.task(task, assignees=assignees)
    authorize(services, user=user, action="completeTask", target=target)
    if node is None:
        raise NotFound(f"no task `{task}` exists: check the id")
    return node
