"""Manual tasks waiting for a person: what the portal's task list shows."""

from __future__ import annotations

from broker._lookup import require_allowed
from broker.services import Services
from graph import Node
from policies.api_authz import Target


def my_tasks(services: Services, *, viewer: str, done: bool = False) -> list[Node]:
    """Tasks `viewer` is an assignee of: open ones (or done ones), oldest first."""
    require_allowed(services, viewer, "viewSelf", Target.user(viewer))
    state = "done" if done else "open"
    found = services.store.find_nodes("Task", equals={"state": state})
    mine = [n for n in found if viewer in (n.props.get("assignees") or [])]
    return sorted(mine, key=lambda n: (float(n.props.get("created_at") or 0), n.key))
