"""Proving an email on an access link: a one-time code by mail, then a link session.

The code (8 random digits) is bound to the link and the email: the LinkCode node is keyed
by the SHA-256 of both and keeps only the code's hash; it lasts 10 minutes, works once and
dies after 5 wrong tries. Asking again replaces it. Every answer is the same whether the
email was seen before or not, and every attempt is counted per client address and per
link (the sign-in throttle) and written to the activity log, never with the code.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets

from broker import _text, audit
from broker._text import check_text
from broker.errors import DomainError, Unauthenticated
from broker.identities.access_links import (
    LinkRefused,
    LinkState,
    forbid_unlisted,
    look_up_link,
    offered_flow,
    require_open,
)
from broker.identities.external_requesters import StartedLinkSession, start_link_session
from broker.identities.sign_in import ThrottleRule, count_failure, throttle_wait
from broker.identities.users import checked_email
from broker.notify import Notice, NoticeKind
from broker.services import Services
from graph import ConflictError, DeleteNode, Node, SetProps, UnknownNode, UpsertNode, WriteOp

CODE_DIGITS = 8
CODE_LIFETIME = 10 * 60.0
MAX_TRIES = 5
WRONG_CODE = "the code is wrong, used or expired: check the latest mail, or ask for a new code"
# Codes mailed: per client address, and per link (a link shared widely still has a cap).
SENDS_PER_ADDRESS = ThrottleRule(limit=10, window_seconds=15 * 60.0)
SENDS_PER_LINK = ThrottleRule(limit=60, window_seconds=15 * 60.0)
# Failures (unknown links, wrong codes): per client address, and per link.
FAILS_PER_ADDRESS = ThrottleRule(limit=20, window_seconds=15 * 60.0)
FAILS_PER_LINK = ThrottleRule(limit=30, window_seconds=15 * 60.0)
_log = logging.getLogger(__name__)


class LinkThrottled(DomainError):
    """Too many attempts from this address or on this link lately."""

    code = "rate_limited"

    def __init__(self, wait: float) -> None:
        super().__init__(
            "too many attempts from this address or on this link: try again in "
            f"{max(1, round(wait / 60))} minutes"
        )
        self.retry_after = wait


def open_link(services: Services, *, token: str, client: str) -> Node:
    """The open link with `token`, for its page; LinkThrottled when `client` has failed
    too often lately, LinkRefused (counted and logged) when the link cannot be used."""
    client = client[: _text.KEY]
    _check_throttle(services, [_address(client, "fails", FAILS_PER_ADDRESS)])
    return _open(services, token, client)


def request_code(services: Services, *, token: str, email: str, name: str, client: str) -> None:
    """Mail a fresh code for `email` on the link `token` (an earlier code stops working).
    The same quiet success for every allowed address; LinkThrottled, LinkRefused,
    InvalidInput or Forbidden (a domain the link does not take) otherwise."""
    client = client[: _text.KEY]
    check_text("name", name, most=_text.NAME)
    _check_throttle(
        services,
        [
            _address(client, "fails", FAILS_PER_ADDRESS),
            _address(client, "sends", SENDS_PER_ADDRESS),
        ],
    )
    link = _open(services, token, client)
    _check_throttle(services, [_per_link(link, "sends", SENDS_PER_LINK)])
    address = checked_email(email)
    forbid_unlisted(link, address)
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    now = services.clock()
    key = code_key(link.key, address)
    props = {
        "link": link.key,
        "code_hash": _code_hash(key, code),
        "expires_at": now + CODE_LIFETIME,
        "tries": 0,
        "name": name.strip(),
        "created_at": now,
    }
    event = _event(services, "link.code_sent", link, address, client)
    audit.write(services.store, [UpsertNode("LinkCode", key, props)], event)
    for key_, rule in (
        _address(client, "sends", SENDS_PER_ADDRESS),
        _per_link(link, "sends", SENDS_PER_LINK),
    ):
        count_failure(services.store, key_, rule, now)
    _mail(services, link, address, name.strip(), code, now + CODE_LIFETIME)


def verify_code(
    services: Services, *, token: str, email: str, code: str, client: str
) -> StartedLinkSession:
    """A link session for `email` on the link `token`, once `code` is the one mailed for
    both. A wrong, used, expired or other link's code raises Unauthenticated (counted; the
    code dies at its fifth wrong try); LinkThrottled or LinkRefused as for `request_code`."""
    client = client[: _text.KEY]
    _check_throttle(services, [_address(client, "fails", FAILS_PER_ADDRESS)])
    link = _open(services, token, client)
    _check_throttle(services, [_per_link(link, "fails", FAILS_PER_LINK)])
    address = checked_email(email)
    forbid_unlisted(link, address)
    check_text("code", code, most=32)
    key = code_key(link.key, address)
    stored = services.store.get_node("LinkCode", key)
    now = services.clock()
    fresh = stored is not None and now < float(stored.props["expires_at"])
    if stored is None or not fresh or not _matches(stored, key, code.strip()):
        _wrong(services, link, address, client, stored)
        raise Unauthenticated(WRONG_CODE)
    spend = DeleteNode("LinkCode", key)
    tries = int(stored.props.get("tries") or 0)
    try:
        return start_link_session(
            services,
            link=link,
            email=address,
            name=str(stored.props.get("name") or ""),
            client=client,
            # a compare-and-set, then the delete: of two calls at once, one wins
            also=[SetProps("LinkCode", key, {"tries": MAX_TRIES}, {"tries": tries}), spend],
        )
    except (ConflictError, UnknownNode) as lost:  # used at the same moment by another call
        raise Unauthenticated(WRONG_CODE) from lost


def code_key(link: str, email: str) -> str:
    return hashlib.sha256(f"{link}\n{email}".encode()).hexdigest()


def _code_hash(key: str, code: str) -> str:
    return hashlib.sha256(f"{key}:{code}".encode()).hexdigest()


def _matches(stored: Node, key: str, code: str) -> bool:
    if int(stored.props.get("tries") or 0) >= MAX_TRIES:
        return False
    return hmac.compare_digest(_code_hash(key, code), str(stored.props["code_hash"]))


def _wrong(services: Services, link: Node, email: str, client: str, stored: Node | None) -> None:
    """Count a wrong code against the code (dead at MAX_TRIES), the address and the link,
    and log it."""
    now = services.clock()
    ops: list[WriteOp] = []
    if stored is not None:
        tries = int(stored.props.get("tries") or 0)
        if tries + 1 >= MAX_TRIES or now >= float(stored.props["expires_at"]):
            ops.append(DeleteNode("LinkCode", stored.key))
        else:
            ops.append(SetProps("LinkCode", stored.key, {"tries": tries + 1}, {"tries": tries}))
    event = _event(services, "link.code_failed", link, email, client)
    try:
        audit.write(services.store, ops, event)
    except (ConflictError, UnknownNode):  # another try counted at the same moment
        audit.append(services.store, event)
    for key, rule in (
        _address(client, "fails", FAILS_PER_ADDRESS),
        _per_link(link, "fails", FAILS_PER_LINK),
    ):
        count_failure(services.store, key, rule, now)


def _open(services: Services, token: str, client: str) -> Node:
    found = look_up_link(services, token)
    try:
        if found.link is None:
            raise LinkRefused(LinkState.INVALID)
        require_open(services, found.link)
    except LinkRefused as refused:
        now = services.clock()
        count_failure(services.store, *_address(client, "fails", FAILS_PER_ADDRESS), now)
        data = {"reason": refused.state.value, "client": client}
        subject = found.link.key if found.link is not None else ""
        entry = audit.Entry(kind="link.refused", at=now, actor="", subject=subject, data=data)
        audit.append(services.store, entry)
        raise
    return found.link


def _check_throttle(services: Services, keys: list[tuple[str, ThrottleRule]]) -> None:
    wait = throttle_wait(services.store, keys, services.clock())
    if wait is not None:
        raise LinkThrottled(wait)


def _address(client: str, what: str, rule: ThrottleRule) -> tuple[str, ThrottleRule]:
    # Hashed, as sign-in's keys are: the graph keeps no list of addresses.
    return f"link-{what}-address:" + hashlib.sha256(client.encode()).hexdigest(), rule


def _per_link(link: Node, what: str, rule: ThrottleRule) -> tuple[str, ThrottleRule]:
    return f"link-{what}:{link.key}", rule


def _event(services: Services, kind: str, link: Node, email: str, client: str) -> audit.Entry:
    return audit.Entry(
        kind=kind,
        at=services.clock(),
        actor=email,
        subject=link.key,
        data={"external": True, "link": link.key, "flow": link.props["flow"], "client": client},
    )


def _mail(services: Services, link: Node, email: str, name: str, code: str, until: float) -> None:
    """Hand the code to the notifier; a failure is logged (never the code), not raised:
    the person asks again."""
    flow = offered_flow(services, link)
    notice = Notice(
        kind=NoticeKind.LINK_CODE,
        request="",
        requester=email,
        resource="",
        state="",
        at=services.clock(),
        details={"code": code, "flow": flow.name, "name": name, "expires_at": until},
    )
    try:
        services.notifier.publish(notice)
    except Exception as failure:
        _log.error("could not mail a link code to %s: %s", email, type(failure).__name__)
