"""The use cases' one call: tell the notifier, and never let that fail the operation.

Delivery only: the caller says who besides the requester and the beneficiary is told
(`broker.approval.reviewers_to_tell`, `admins_to_tell` hold that rule); nothing here reads
the graph or decides who is told.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from broker.notify._events import Notice, NoticeKind
from graph import Node


class _Sink(Protocol):
    def publish(self, notice: Notice) -> None: ...


class Announcing(Protocol):
    """What `announce` needs of the broker's services: where notices go, and the time."""

    @property
    def notifier(self) -> _Sink: ...

    @property
    def clock(self) -> Callable[[], float]: ...


_log = logging.getLogger(__name__)


def announce(
    services: Announcing,
    kind: NoticeKind,
    node: Node,
    *,
    actor: str = "",
    approvers: Iterable[str] = (),
    admins: Iterable[str] = (),
    **details: Any,
) -> None:
    """Publish `kind` for request `node` to its requester or beneficiary, and to the
    `approvers` or `admins` addresses the caller chose; any failure is logged and swallowed.

    With `admins` the notice goes to them instead of the requester (a failing revoke)."""
    try:
        requester = str(node.props.get("requester", ""))
        beneficiary = str(node.props.get("beneficiary") or "")
        notice = Notice(
            kind=kind,
            request=node.key,
            requester=requester,
            beneficiary="" if beneficiary == requester else beneficiary,
            resource=str(node.props.get("resource", "")),
            state=str(node.props.get("state", "")),
            at=services.clock(),
            actor=actor,
            approvers=tuple(approvers),
            admins=tuple(admins),
            details=details,
        )
        services.notifier.publish(notice)
    except Exception as failure:
        _log.error(
            "could not notify %s for request %s: %s", kind.value, node.key, type(failure).__name__
        )
