"""Access links: an admin issues a link for a flow that admits external requesters; whoever
opens it may ask for what that flow offers, after proving an email (`link_codes`).

The token (256 random bits) is never stored: the AccessLink node keeps its SHA-256 only,
so the graph gives no working link away. Rotating replaces the hash in one write (the old
link is dead at once); disabling keeps the node for the activity log and the requests made
through it. A link that is unknown, rotated or disabled answers the same to its opener.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from broker import _text, audit
from broker._lookup import known_flow, require_allowed
from broker._text import check_text
from broker.errors import DomainError, Forbidden, InvalidInput, NotFound, StateConflict
from broker.identities._digest import secret_digest
from broker.services import Services
from graph import ConflictError, Node, SetProps, UnknownNode, UpsertNode
from policies.api_authz import Target
from policies.flows import AccessFlow

LINK_PATH = "/l/"
MAX_LINK_DAYS = 365
MAX_USES = 100_000
MAX_DOMAINS = 50
_TOKEN_MAX = 100  # token_urlsafe(32) is 43 characters
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_DAY = 86400.0


class LinkState(StrEnum):
    OPEN = "open"
    EXPIRED = "expired"
    USED_UP = "used_up"
    INVALID = "invalid"  # unknown, rotated or disabled: told apart to no one


REFUSALS = {
    LinkState.EXPIRED: "this access link has expired: ask whoever sent it for a new one",
    LinkState.USED_UP: "this access link has been used as often as it may: ask for a new one",
    LinkState.INVALID: (
        "this access link is not valid (it was replaced or withdrawn, or never existed): "
        "ask whoever sent it for a new one"
    ),
}


class LinkRefused(DomainError):
    """The link cannot be used now; `state` says why (the message says it in words)."""

    code = "link_refused"

    def __init__(self, state: LinkState) -> None:
        super().__init__(REFUSALS[state])
        self.state = state


@dataclass(frozen=True)
class IssuedLink:
    link: Node
    token: str  # shown once, to the admin who created or rotated the link

    @property
    def path(self) -> str:
        return LINK_PATH + self.token


@dataclass(frozen=True)
class LinkLookup:
    state: LinkState
    link: Node | None = None  # set unless INVALID


def token_hash(token: str) -> str:
    return secret_digest(token)


def create_access_link(
    services: Services,
    *,
    actor: str,
    flow: str,
    expires_at: float,
    max_uses: int | None = None,
    allowed_domains: Sequence[str] = (),
) -> IssuedLink:
    """A new link to `flow` (which must admit external requesters), as an admin; valid
    until `expires_at`, for `max_uses` requests (None: any number), for emails at
    `allowed_domains` only (empty: any address)."""
    require_allowed(services, actor, "manageFlows", Target.access_flow(flow))
    check_text("flow", flow, most=_text.KEY)
    offered = known_flow(services, flow)
    if not (offered.external or offered.everyone) or offered.trigger != "link":
        raise InvalidInput(
            f"flow `{flow}` does not admit external requesters by link: set `external` and "
            "trigger `link` on it, or choose another flow"
        )
    now = services.clock()
    if not expires_at > now or expires_at - now > MAX_LINK_DAYS * _DAY:
        raise InvalidInput(
            f"the expiry must be in the future and at most {MAX_LINK_DAYS} days ahead: "
            "choose another date"
        )
    if max_uses is not None and not 1 <= max_uses <= MAX_USES:
        raise InvalidInput(f"`maxUses` {max_uses} must be between 1 and {MAX_USES}, or none")
    domains = _checked_domains(allowed_domains)
    token = secrets.token_urlsafe(32)
    key = f"lnk_{uuid.uuid4().hex[:20]}"
    props: dict[str, object] = {
        "flow": flow,
        "token_hash": token_hash(token),
        "expires_at": float(expires_at),
        "uses": 0,
        "allowed_domains": domains,
        "disabled": False,
        "created_at": now,
        "created_by": actor,
    }
    if max_uses is not None:
        props["max_uses"] = max_uses
    event = audit.Entry(
        kind="link.created",
        at=now,
        actor=actor,
        subject=key,
        data={"flow": flow, "expires_at": expires_at, "max_uses": max_uses, "domains": domains},
    )
    audit.write(services.store, [UpsertNode("AccessLink", key, props)], event)
    return IssuedLink(Node("AccessLink", key, props), token)


def list_access_links(services: Services, *, actor: str, flow: str | None = None) -> list[Node]:
    """Every access link (of `flow`, when given), newest first, as an admin."""
    require_allowed(services, actor, "manageFlows", Target.api())
    if flow is not None:
        check_text("flow", flow, most=_text.KEY)
    found = services.store.find_nodes("AccessLink", equals={"flow": flow} if flow else None)
    return sorted(found, key=lambda n: (-float(n.props.get("created_at") or 0), n.key))


def disable_access_link(services: Services, *, actor: str, link: str) -> Node:
    """Stop `link` from taking codes and requests, as an admin; requests made through it
    go on as before, and their requesters still see their status."""
    node = _admin_link(services, actor, link)
    if node.props.get("disabled"):
        raise StateConflict(f"access link `{link}` is disabled already")
    event = audit.Entry(kind="link.disabled", at=services.clock(), actor=actor, subject=link)
    _change(services, node, {"disabled": True}, event)
    return Node(node.kind, node.key, {**node.props, "disabled": True})


def rotate_access_link(services: Services, *, actor: str, link: str) -> IssuedLink:
    """Give `link` a new token, as an admin: the old address stops working at once; its
    flow, expiry, uses and domains stay."""
    node = _admin_link(services, actor, link)
    if node.props.get("disabled"):
        raise StateConflict(f"access link `{link}` is disabled: create a new one instead")
    token = secrets.token_urlsafe(32)
    now = services.clock()
    change = {"token_hash": token_hash(token), "rotated_at": now}
    event = audit.Entry(kind="link.rotated", at=now, actor=actor, subject=link)
    _change(services, node, change, event)
    return IssuedLink(Node(node.kind, node.key, {**node.props, **change}), token)


def look_up_link(services: Services, token: str) -> LinkLookup:
    """What the link with `token` is now; reads only."""
    if not token or len(token) > _TOKEN_MAX or not token.isascii():
        return LinkLookup(LinkState.INVALID)
    found = services.store.find_nodes("AccessLink", equals={"token_hash": token_hash(token)})
    if not found or found[0].props.get("disabled"):
        return LinkLookup(LinkState.INVALID)
    return LinkLookup(link_state(services, found[0]), found[0])


def link_state(services: Services, link: Node) -> LinkState:
    """Whether `link` (found by its token or a session) takes codes and requests now."""
    if link.props.get("disabled"):
        return LinkState.INVALID
    if services.clock() >= float(link.props["expires_at"]):
        return LinkState.EXPIRED
    most = link.props.get("max_uses")
    if most is not None and int(link.props.get("uses") or 0) >= int(str(most)):
        return LinkState.USED_UP
    return LinkState.OPEN


def require_open(services: Services, link: Node) -> None:
    """Raise LinkRefused unless `link` takes codes and requests now."""
    state = link_state(services, link)
    if state is not LinkState.OPEN:
        raise LinkRefused(state)


def use_op(link: Node) -> SetProps:
    """The op counting one request against `link`: a compare-and-set on `uses`, so the
    write that stores a request fails (rather than exceed `max_uses`) when another request
    used the link meanwhile."""
    uses = int(link.props.get("uses") or 0)
    return SetProps("AccessLink", link.key, {"uses": uses + 1}, {"uses": uses, "disabled": False})


def email_allowed(link: Node, email: str) -> bool:
    domains = link.props.get("allowed_domains") or []
    return not domains or email.rsplit("@", 1)[-1] in domains


def offered_flow(services: Services, link: Node) -> AccessFlow:
    return known_flow(services, str(link.props["flow"]))


def _admin_link(services: Services, actor: str, link: str) -> Node:
    require_allowed(services, actor, "manageFlows", Target.api())
    check_text("link", link, most=_text.KEY)
    node = services.store.get_node("AccessLink", link)
    if node is None:
        raise NotFound(f"no access link `{link}` exists: list them with `accessLinks`")
    return node


def _change(services: Services, node: Node, change: dict[str, object], event: audit.Entry) -> None:
    expect = {"token_hash": node.props["token_hash"], "disabled": node.props.get("disabled")}
    try:
        audit.write(services.store, [SetProps("AccessLink", node.key, change, expect)], event)
    except (ConflictError, UnknownNode) as lost:
        raise StateConflict(
            f"access link `{node.key}` changed meanwhile: look at it again"
        ) from lost


def _checked_domains(domains: Sequence[str]) -> list[str]:
    if len(domains) > MAX_DOMAINS:
        raise InvalidInput(f"at most {MAX_DOMAINS} email domains may be allowed per link")
    checked: list[str] = []
    for given in domains:
        check_text("email domain", given, most=253)
        domain = given.strip().lower().lstrip("@")
        if not _DOMAIN.fullmatch(domain):
            raise InvalidInput(
                f"email domain `{given}` is not a domain: write it like `partner.example`"
            )
        if domain not in checked:
            checked.append(domain)
    return checked


def forbid_unlisted(link: Node, email: str) -> None:
    """Raise Forbidden when `email`'s domain is not one the link allows."""
    if not email_allowed(link, email):
        listed = ", ".join(f"`{d}`" for d in link.props.get("allowed_domains") or [])
        raise Forbidden(f"this link takes email addresses at {listed} only: use your address there")


@dataclass(frozen=True)
class LinkOffer:
    """What a link's page shows: the flow's name and terms, and what may be requested."""

    link: str  # the AccessLink's id (not its token): the page tells one link from another
    flow: AccessFlow
    resources: tuple[tuple[str, str], ...]  # (key, display name) of what the flow names
    expires_at: float
    allowed_domains: tuple[str, ...]


def link_offer(services: Services, link: Node) -> LinkOffer:
    """The offer of `link` (found open by its token or through a session)."""
    flow = offered_flow(services, link)
    named: list[tuple[str, str]] = []
    for kind, keys in (("Integration", flow.integrations), ("Resource", flow.resources)):
        for key in keys:
            node = services.store.get_node(kind, key)
            if node is not None:
                named.append((key, str(node.props.get("name") or key)))
    return LinkOffer(
        link=link.key,
        flow=flow,
        resources=tuple(named),
        expires_at=float(link.props["expires_at"]),
        allowed_domains=tuple(str(d) for d in link.props.get("allowed_domains") or []),
    )
