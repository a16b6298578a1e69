"""Writing a grant: the one path every grant takes (approval, auto-approval, scheduled
starts, recovery, manual tasks), with the compare-and-set that its beneficiary is still
enabled; provisioning between the writes; and the ops that write and remove access."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from broker import audit
from broker._lookup import beneficiary_of, load_request, target_of
from broker.errors import DomainError, StateConflict
from broker.grants.secrets import seal
from broker.notify import NoticeKind, announce
from broker.requests._transitions import Move, move_through, request_event, transition
from broker.requests.states import RequestState
from broker.services import GrantDeferred, Services, grant_in_graph_only
from graph import (
    ConflictError,
    DeleteEdge,
    GraphStore,
    Node,
    NodeRef,
    SetProps,
    UnknownNode,
    UpsertEdge,
    UpsertNode,
    WriteOp,
)

_log = logging.getLogger(__name__)

# A beneficiary's props may change while a grant is written (a directory sync): read again.
_ATTEMPTS = 3


class GrantFailed(DomainError):
    code = "grant_failed"


def provisioned_at_once(
    services: Services, granting: Node, *, integration_seen: Node | None = None
) -> Mapping[str, str] | None:
    """The access details when the provisioner grants in the graph only, so its `grant`
    has no effect outside the graph and may run before the write; None otherwise.
    `integration_seen` as `grant_in_graph_only` takes it."""
    try:
        return grant_in_graph_only(
            services.provisioner, granting, integration_seen=integration_seen
        )
    except Exception:
        return None  # the two-write path calls it again and records the failure


def complete_grant(services: Services, node: Node, identity: NodeRef | None = None) -> Node:
    """Provision request `node`, which is GRANTING now, and move it to GRANTED or FAILED.

    The provisioner runs between the two writes, so a crash in between leaves the request
    GRANTING (never granted twice; `recover_grants` resumes it): the integration's `grant`
    is always called after the request left APPROVED by a compare-and-set. A manual
    integration defers: the request stays GRANTING until its task is done. `identity`, the
    beneficiary, saves a read when known.
    """
    store, request = services.store, node.key
    try:
        details = services.provisioner.grant(node)
    except GrantDeferred:
        return node
    except Exception as failure:
        failed_at = services.clock()
        transition(
            store,
            request,
            RequestState.GRANTING,
            RequestState.FAILED,
            {"ended_at": failed_at, "reason": f"provisioning failed: {failure}"},
            event=request_event(
                node, "grant.failed", at=failed_at, actor="broker", error=str(failure)
            ),
        )
        announce(services, NoticeKind.FAILED, load_request(store, request), actor="broker")
        raise GrantFailed(f"provisioning request `{request}` failed: {failure}") from failure
    granted = record_grant(services, node, identity, details=details)
    announce_granted(services, granted)
    return granted


def record_grant(
    services: Services,
    node: Node,
    identity: NodeRef | None = None,
    *,
    details: Mapping[str, str],
    actor: str = "broker",
    before: Sequence[WriteOp] = (),
    opening: Sequence[audit.Entry] = (),
    leading: Sequence[Move] = (),
    written: Callable[[], None] = lambda: None,
    seen: Node | None = None,
) -> Node:
    """GRANTING -> GRANTED with the Grant node, the HAS_ACCESS edge and the sealed access
    `details`, in one write (after `before`, traced by `opening` first). `expires_at` counts
    from now. Raises StateConflict when the request is no longer GRANTING.

    The one place a grant is written: approval, auto-approval, scheduled starts, recovery
    and manual tasks all end here. The same write compares-and-sets the beneficiary's
    `disabled`: a beneficiary disabled or removed while the access was being provisioned
    ends the request FAILED instead (with `before` still applied), the integration is asked
    to revoke, and GrantFailed is raised.

    `leading` are the moves that bring the request to GRANTING in that same write (an
    auto-approval's PENDING -> APPROVED -> GRANTING); `node` is then the request as it will
    be once they are made. `written` runs once the write committed, either way, before any
    notice of its outcome, so a caller's own notices come first. `seen`, the beneficiary as
    the caller read it already, saves reading it again: a change since makes the write lose,
    and then the beneficiary is read anew.
    """
    store = services.store
    identity = identity or beneficiary_of(store, node)
    for attempt in range(_ATTEMPTS):
        still = _standing(seen) if attempt == 0 and seen is not None else _entitled(store, identity)
        if still is None:
            break
        try:
            granted = _write_grant(
                services,
                node,
                identity,
                still,
                details,
                actor,
                before=before,
                opening=opening,
                leading=leading,
            )
        except StateConflict as lost:
            cause = lost.__cause__
            if not (isinstance(cause, ConflictError) and cause.ref == identity):
                raise
        except UnknownNode as gone:
            if gone.ref != identity:
                raise
        else:
            written()
            return granted
    raise _fail_for_beneficiary(
        services,
        node,
        identity,
        actor,
        before=before,
        opening=opening,
        leading=leading,
        written=written,
    )


def _write_grant(
    services: Services,
    node: Node,
    identity: NodeRef,
    still: SetProps,
    details: Mapping[str, str],
    actor: str,
    *,
    before: Sequence[WriteOp],
    opening: Sequence[audit.Entry],
    leading: Sequence[Move],
) -> Node:
    store, request = services.store, node.key
    granted_at = services.clock()
    expires_at = granted_at + int(node.props["duration_minutes"]) * 60
    props: dict[str, Any] = {"granted_at": granted_at, "expires_at": expires_at}
    if details:
        props["details"] = seal(json.dumps(dict(details), sort_keys=True))
    event = request_event(
        node,
        "grant.granted",
        at=granted_at,
        actor=actor,
        identity=identity.key,
        permissions=list(node.props.get("permissions") or []),
        expires_at=expires_at,
        details=sorted(details),  # the names only: the values are secrets
    )
    ops = grant_ops(
        node, identity, granted_at=granted_at, expires_at=expires_at, target=target_of(store, node)
    )
    move_through(
        store,
        request,
        [*leading, Move(RequestState.GRANTING, RequestState.GRANTED, props, event)],
        before=before,
        opening=opening,
        also=[still, *ops],
    )
    return Node(node.kind, request, {**node.props, **props, "state": RequestState.GRANTED.value})


def _entitled(store: GraphStore, identity: NodeRef) -> SetProps | None:
    """A compare-and-set that holds while `identity` stays as found, enabled; None when it
    is disabled or gone now."""
    return _standing(store.get_node(identity.kind, identity.key))


def _standing(found: Node | None) -> SetProps | None:
    """A compare-and-set that holds while identity `found` stays enabled; None when it is
    disabled or gone."""
    if found is None or found.props.get("disabled"):
        return None
    return SetProps(found.kind, found.key, {}, {"disabled": found.props.get("disabled")})


def _fail_for_beneficiary(
    services: Services,
    node: Node,
    identity: NodeRef,
    actor: str,
    *,
    before: Sequence[WriteOp],
    opening: Sequence[audit.Entry],
    leading: Sequence[Move],
    written: Callable[[], None],
) -> GrantFailed:
    """GRANTING -> FAILED because the beneficiary lost their standing meanwhile; whatever
    the integration gave is revoked (revokes are idempotent) so no access is left behind."""
    store, request = services.store, node.key
    now = services.clock()
    reason = (
        f"beneficiary `{identity.key}` was disabled or removed while the access was being "
        "granted, so it was not granted"
    )
    event = request_event(node, "grant.failed", at=now, actor=actor, error=reason)
    move_through(
        store,
        request,
        [
            *leading,
            Move(
                RequestState.GRANTING,
                RequestState.FAILED,
                {"ended_at": now, "reason": reason},
                event,
            ),
        ],
        before=before,
        opening=opening,
    )
    written()
    failed = load_request(store, request)
    try:
        services.provisioner.revoke(failed)
    except Exception as failure:
        _log.error("could not revoke failed request %s: %s", request, failure)
    announce(services, NoticeKind.FAILED, failed, actor=actor, reason=reason)
    return GrantFailed(
        f"request `{request}` failed: {reason}; the integration was asked to take back "
        "anything given, and the request can be asked again for someone enabled"
    )


def announce_granted(services: Services, granted: Node) -> None:
    expires_at = float(granted.props["expires_at"])
    announce(services, NoticeKind.GRANTED, granted, actor="broker", expires_at=iso_time(expires_at))


def grant_ops(
    request: Node,
    identity: NodeRef,
    *,
    granted_at: float,
    expires_at: float,
    target: NodeRef | None = None,
) -> list[WriteOp]:
    """The Grant node and the HAS_ACCESS edge that record request `request`'s access to
    `target` (by default the Resource the request names; pass an Integration's ref when the
    request asks for a whole integration)."""
    resource = target or NodeRef("Resource", str(request.props["resource"]))
    permissions = list(request.props.get("permissions") or [])
    return [
        UpsertNode(
            "Grant",
            request.key,
            {
                "request": request.key,
                "identity": identity.key,
                "resource": resource.key,
                "permissions": permissions,
                "granted_at": granted_at,
                "expires_at": expires_at,
            },
        ),
        UpsertEdge("FOR", NodeRef("Grant", request.key), resource),
        UpsertEdge(
            "HAS_ACCESS",
            identity,
            resource,
            key=request.key,
            props={
                "grant": request.key,
                "permissions": permissions,
                "expires_at": expires_at,
                "standing": False,
            },
        ),
    ]


def iso_time(at: float) -> str:
    return datetime.fromtimestamp(at, tz=UTC).isoformat(timespec="seconds")


def access_edge(store: GraphStore, request: Node) -> DeleteEdge:
    """Removes the HAS_ACCESS edge request `request` gave (idempotent)."""
    return DeleteEdge(
        "HAS_ACCESS", beneficiary_of(store, request), target_of(store, request), key=request.key
    )
