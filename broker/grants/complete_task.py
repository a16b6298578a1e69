"""A fulfiller marks a manual integration's task done: a grant task finishes the grant, a
revoke task records that the access is gone in the real system too."""

from __future__ import annotations

from broker import audit
from broker._guard import task_as
from broker._lookup import load_request
from broker._text import KEY, REASON, check_text
from broker.errors import StateConflict
from broker.grants._write import announce_granted, record_grant
from broker.requests.states import RequestState
from broker.services import Services
from graph import ConflictError, Node, SetProps


def complete_task(services: Services, *, actor: str, task: str, note: str = "") -> Node:
    """Mark open `task` done as `actor`, one of its assignees or an admin.

    For a grant task the request goes GRANTING -> GRANTED in the same write, and its expiry
    counts from now. Raises StateConflict when the task is done already (or its request is
    no longer GRANTING: nothing changes then), Forbidden for anyone else.
    """
    store = services.store
    check_text("task id", task, most=KEY)
    check_text("note", note, most=REASON, multiline=True)
    node = task_as(services, actor, task)
    if node.props.get("state") != "open":
        raise StateConflict(f"task `{task}` is done already, by `{node.props.get('done_by')}`")
    now = services.clock()
    done = {"state": "done", "done_at": now, "done_by": actor, "note": note}
    close = SetProps("Task", task, done, {"state": "open"})
    request = load_request(store, str(node.props["request"]))
    event = audit.Entry(
        kind="task.done",
        at=now,
        actor=actor,
        resource=str(request.props.get("resource", "")),
        subject=task,
        data={"request": request.key, "action": node.props.get("action"), "note": note},
    )
    if node.props.get("action") == "grant":
        _finish_grant(services, request, close, event, actor=actor)
    else:
        try:
            audit.write(store, [close], event)
        except ConflictError as lost:
            raise StateConflict(f"task `{task}` was marked done meanwhile") from lost
    return Node(node.kind, task, {**node.props, **done})


def _finish_grant(
    services: Services, request: Node, close: SetProps, event: audit.Entry, *, actor: str
) -> None:
    state = str(request.props.get("state", ""))
    if state != RequestState.GRANTING.value:
        raise StateConflict(
            f"request `{request.key}` is {state}, not GRANTING: its grant task cannot finish it"
        )
    granted = record_grant(
        services, request, details={}, actor=actor, before=[close], opening=[event]
    )
    announce_granted(services, granted)
