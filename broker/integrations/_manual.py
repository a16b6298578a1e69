"""The `manual` integration: a named fulfiller gets a task, does the work by hand and marks
it done (`broker.grants.complete_task`)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from broker import audit
from broker.notify import Notice, NoticeKind
from broker.services import Clock, GrantDeferred
from graph import GraphStore, Node, UpsertNode

_log = logging.getLogger(__name__)


def task_key(request: str, action: str) -> str:
    return f"{request}:{action}"


class ManualIntegration:
    """`grant` opens a grant task and defers (the request stays GRANTING until the task is
    done); `revoke` opens a revoke task and returns, so the grant ends in the graph on time
    while the task records the revoke in the real system. Both are idempotent: a task that
    exists is not opened again."""

    def __init__(
        self,
        store: GraphStore,
        *,
        integration: str,
        fulfillers: Sequence[str],
        clock: Clock,
        publish: Callable[[Notice], None] | None = None,
    ) -> None:
        self._store = store
        self._integration = integration
        self._fulfillers = sorted(fulfillers)
        self._clock = clock
        self._publish = publish

    def grant(self, request: Node) -> dict[str, str]:
        raise GrantDeferred(self._open(request, "grant"))

    def revoke(self, request: Node) -> None:
        self._open(request, "revoke")

    def _open(self, request: Node, action: str) -> str:
        key = task_key(request.key, action)
        if self._store.get_node("Task", key) is not None:
            return key
        now = self._clock()
        task = UpsertNode(
            "Task",
            key,
            {
                "request": request.key,
                "integration": self._integration,
                "action": action,
                "state": "open",
                "assignees": self._fulfillers,
                "created_at": now,
            },
        )
        event = audit.Entry(
            kind="task.opened",
            at=now,
            actor="broker",
            resource=str(request.props.get("resource", "")),
            subject=key,
            data={"request": request.key, "action": action, "assignees": self._fulfillers},
        )
        audit.write(self._store, [task], event)
        self._tell(request, key, action, now)
        return key

    def _tell(self, request: Node, task: str, action: str, now: float) -> None:
        """Mail the fulfillers; a failure is logged and never fails the grant or revoke."""
        if self._publish is None:
            return
        props = request.props
        try:
            self._publish(
                Notice(
                    kind=NoticeKind.TASK_OPENED,
                    request=request.key,
                    requester=str(props.get("requester", "")),
                    resource=str(props.get("resource", "")),
                    state=str(props.get("state", "")),
                    at=now,
                    actor="broker",
                    assignees=tuple(self._addresses()),
                    details={
                        "task": task,
                        "action": action,
                        "beneficiary": str(props.get("beneficiary") or ""),
                        "permissions": ", ".join(props.get("permissions") or []),
                    },
                )
            )
        except Exception as failure:
            _log.error("could not tell the fulfillers of task %s: %s", task, type(failure).__name__)

    def _addresses(self) -> list[str]:
        found = (self._store.get_node("User", key) for key in self._fulfillers)
        return [
            str(user.props.get("email") or user.key)
            for user in found
            if user is not None and not user.props.get("disabled")
        ]
