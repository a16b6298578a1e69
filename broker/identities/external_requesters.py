"""External requesters: people who proved an email on an access link. They are
`ExternalUser` nodes (never `User`s), keyed by that email; their session is bound to one
link and that email and lets them ask through the link, see the status of what they asked
through it, and read their access details: nothing else.

A request goes through the same steps as everyone's (`broker.requests`): the same Cedar
decision, with principal `ExternalUser` and `context.trigger == "link"`, the same approval
plans and the same grant path; it must match the link's own flow, and counts one use of
the link in the write that stores it.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace

from broker import _text, audit
from broker.authorize import authorize
from broker.errors import Forbidden, StateConflict
from broker.grants.access_details import access_details
from broker.identities._digest import secret_digest
from broker.identities.access_links import offered_flow, require_open, use_op
from broker.requests._new_request import ask, decide, load_target, prepare, refuse
from broker.requests.request_access import submit
from broker.services import Services
from graph import ConflictError, DeleteNode, Node, UnknownNode, UpsertNode, WriteOp
from policies.api_authz import Target

SESSION_LIFETIME = 24 * 3600.0  # long enough to come back for the status of a day's request
_MAX_ID_LENGTH = 128
_MAX_LISTED = 200


@dataclass(frozen=True)
class StartedLinkSession:
    session_id: str  # the cookie value: shown once, stored only hashed
    expires_at: float


@dataclass(frozen=True)
class LinkViewer:
    """An external requester as their link session shows them."""

    external: Node  # the ExternalUser, with `link` set to this session's link
    link: Node


def start_link_session(
    services: Services,
    *,
    link: Node,
    email: str,
    name: str,
    client: str,
    also: Sequence[WriteOp] = (),
) -> StartedLinkSession:
    """A session for `email` on `link`, just proven (`broker.identities.link_codes`), in one
    write with `also` (the code spent) and the ExternalUser made or refreshed."""
    session_id = secrets.token_urlsafe(32)
    now = services.clock()
    expires = now + SESSION_LIFETIME
    known = services.store.get_node("ExternalUser", email)
    person: dict[str, object] = {"email": email, "link": link.key, "verified_at": now}
    if known is None:
        person["created_at"] = now
    if name or known is None:
        person["name"] = name
    session = {
        "link": link.key,
        "external": email,
        "created_at": now,
        "expires_at": expires,
        "client": client[:_MAX_ID_LENGTH],
    }
    ops: list[WriteOp] = [
        *also,
        UpsertNode("ExternalUser", email, person),
        UpsertNode("LinkSession", _session_key(session_id), session),
    ]
    entry = audit.Entry(
        kind="link.code_verified",
        at=now,
        actor=email,
        subject=link.key,
        data={"external": True, "link": link.key, "flow": link.props["flow"], "client": client},
    )
    audit.write(services.store, ops, entry)
    return StartedLinkSession(session_id, expires)


def link_viewer(services: Services, session_id: str) -> LinkViewer | None:
    """The external requester behind `session_id` (a cookie value); None when it is
    unknown, ended or past its lifetime."""
    if not session_id or len(session_id) > _MAX_ID_LENGTH or not session_id.isascii():
        return None
    store = services.store
    found = store.get_node("LinkSession", _session_key(session_id))
    if found is None:
        return None
    if services.clock() >= float(found.props["expires_at"]):
        store.write([_end(found.key)])
        return None
    person = store.get_node("ExternalUser", str(found.props["external"]))
    link = store.get_node("AccessLink", str(found.props["link"]))
    if person is None or link is None or person.props.get("disabled"):
        return None
    # The session's link, whatever link the same email proved itself on last.
    bound = Node(person.kind, person.key, {**person.props, "link": link.key})
    return LinkViewer(bound, link)


def end_link_session(services: Services, session_id: str) -> bool:
    """Sign out of a link session; False when there was none."""
    if not session_id or len(session_id) > _MAX_ID_LENGTH:
        return False
    key = _session_key(session_id)
    found = services.store.get_node("LinkSession", key)
    if found is None:
        return False
    who = str(found.props["external"])
    entry = audit.Entry(kind="link.signed_out", at=services.clock(), actor=who, subject=who)
    audit.write(services.store, [_end(key)], entry)
    return True


def request_through_link(
    services: Services,
    *,
    viewer: LinkViewer,
    resource: str,
    permissions: Sequence[str],
    duration_minutes: int | None = None,
    justification: str = "",
) -> Node:
    """Ask, as `viewer`, for `resource` through their link: decided by the policies like
    every request (trigger `link`), and it must match the link's flow. Raises LinkRefused
    when the link no longer takes requests, AccessDenied when the flows do not allow it,
    StateConflict when the link was used up or changed meanwhile."""
    authorize(
        services,
        user=viewer.external,
        action="requestAccess",
        target=Target.access_link(viewer.link.key),
    )
    # Read again: its uses and state as they are now, not when the session was looked up.
    link = services.store.get_node("AccessLink", viewer.link.key) or viewer.link
    require_open(services, link)
    _text.check_text("resource", resource, most=_text.KEY)
    asked = ask(
        services,
        requester=viewer.external.key,
        requester_kind="ExternalUser",
        permissions=permissions,
        duration_minutes=duration_minutes,
        justification=justification,
        trigger="link",
        beneficiary=None,
        starts_at=None,
    )
    target = load_target(services.store, resource)
    decision, minutes = decide(services, asked, target)
    if not decision.allowed:
        refuse(services, asked, target, decision)
    flow = str(link.props["flow"])
    if flow not in decision.flow_keys:
        denied = replace(
            decision,
            allowed=False,
            reason=f"this link offers `{offered_flow(services, link).name}` only, which does "
            f"not cover `{resource}`: ask for what the link's page lists",
        )
        refuse(services, asked, target, denied)
    # The link's flow decides the approval plan, whatever other flow also matched.
    ordered = (flow, *(k for k in decision.flow_keys if k != flow))
    decision = replace(decision, flow_keys=ordered)
    prepared = prepare(services, asked, target, decision, minutes, {"access_link": link.key})
    prepared = replace(
        prepared,
        ops=[*prepared.ops, use_op(link)],
        details={**prepared.details, "access_link": link.key, "external": True},
    )
    try:
        return submit(services, prepared)
    except (ConflictError, UnknownNode) as lost:
        raise StateConflict(
            "this access link was used or changed at the same moment: open it again and retry"
        ) from lost


def link_requests(services: Services, *, viewer: LinkViewer) -> list[Node]:
    """What `viewer` asked through their link, newest first (the most recent 200)."""
    found = services.store.find_nodes(
        "AccessRequest",
        equals={"requester": viewer.external.key, "access_link": viewer.link.key},
    )
    found.sort(key=lambda n: (-float(n.props.get("created_at") or 0), n.key))
    return found[:_MAX_LISTED]


def link_access_details(services: Services, *, viewer: LinkViewer, request: str) -> dict[str, str]:
    """The access details of `viewer`'s granted `request` made through their link; the same
    Forbidden for a missing request, another person's, or one made through another link."""
    _text.check_text("request id", request, most=_text.KEY)
    node = services.store.get_node("AccessRequest", request)
    if node is None or node.props.get("access_link") != viewer.link.key:
        raise Forbidden(f"only the person holding request `{request}`'s access sees its details")
    return access_details(
        services, viewer=viewer.external.key, viewer_kind="ExternalUser", request=request
    )


def _session_key(session_id: str) -> str:
    return secret_digest(session_id)


def _end(key: str) -> WriteOp:
    return DeleteNode("LinkSession", key)
