"""Access links in the broker: an admin issues a link to a flow that admits external
requesters; a person proves an email with a mailed code and asks through it; the same
decision and approval plan as everyone's; links expire, are used up, disabled or rotated."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest

from broker import (
    AccessDenied,
    Forbidden,
    InvalidInput,
    LinkRefused,
    LinkState,
    LinkThrottled,
    LinkViewer,
    Services,
    StateConflict,
    Unauthenticated,
    approve_request,
    audit,
    create_access_link,
    disable_access_link,
    link_access_details,
    link_requests,
    link_viewer,
    open_link,
    request_code,
    request_through_link,
    rotate_access_link,
    save_access_flow,
    verify_code,
)
from broker.demo import DEMO_ADMIN, DEMO_APPROVER, DEMO_GRANTEE
from broker.identities.link_codes import MAX_TRIES
from broker.notify import NoticeKind
from policies.flows import AccessFlow
from tests.support.clock import ManualClock
from tests.support.notices import KeptNotices

PARTNER = "pat@partner.example"
CLIENT = "203.0.113.7"
FLOW = AccessFlow(
    key="partner-orders",
    name="Partners read orders",
    external=True,
    trigger="link",
    resources=("pg-prod/orders",),
    permissions=("read",),
    max_duration_minutes=120,
    justification_required=True,
    approvers=(DEMO_APPROVER,),
)


@pytest.fixture
def kept(services: Services) -> KeptNotices:
    services.notifier = kept = KeptNotices()
    save_access_flow(services, actor=DEMO_ADMIN, flow=FLOW)
    return kept


def _link(services: Services, **extra: object) -> str:
    expires = services.clock() + 7 * 86400
    issued = create_access_link(
        services, actor=DEMO_ADMIN, flow=FLOW.key, expires_at=expires, **extra
    )
    assert len(issued.token) >= 43  # 256 random bits, URL-safe
    return issued.token


def _code(kept: KeptNotices, to: str = PARTNER) -> str:
    mailed = [n for n in kept.notices if n.kind is NoticeKind.LINK_CODE and n.requester == to]
    return str(mailed[-1].details["code"])


def _signed_in(services: Services, kept: KeptNotices, token: str) -> LinkViewer:
    request_code(services, token=token, email=PARTNER, name="Pat Partner", client=CLIENT)
    started = verify_code(services, token=token, email=PARTNER, code=_code(kept), client=CLIENT)
    viewer = link_viewer(services, started.session_id)
    assert viewer is not None
    return viewer


def _ask(services: Services, viewer: LinkViewer, resource: str = "pg-prod/orders") -> str:
    made = request_through_link(
        services,
        viewer=viewer,
        resource=resource,
        permissions=["read"],
        duration_minutes=60,
        justification="quarterly reconciliation",
    )
    return made.key


def test_an_external_request_is_decided_like_any_and_its_holder_sees_the_details(
    services: Services, kept: KeptNotices
) -> None:
    token = _link(services, max_uses=3, allowed_domains=["Partner.example"])
    stored = services.store.find_nodes("AccessLink")
    assert [n.props["token_hash"] for n in stored] != [token]  # only its hash is kept
    viewer = _signed_in(services, kept, token)
    assert viewer.external.kind == "ExternalUser"
    assert services.store.get_node("User", PARTNER) is None
    request = _ask(services, viewer)
    node = services.store.get_node("AccessRequest", request)
    assert node is not None
    assert (node.props["state"], node.props["access_link"]) == ("PENDING", viewer.link.key)
    created = [n for n in kept.notices if n.kind is NoticeKind.REQUEST_CREATED]
    assert created[0].approvers == (DEMO_APPROVER,)
    assert created[0].details["access_link"] == viewer.link.key
    approve_request(services, approver=DEMO_APPROVER, request=request)
    (listed,) = link_requests(services, viewer=viewer)
    assert listed.props["state"] == "GRANTED"
    assert link_access_details(services, viewer=viewer, request=request) == {}
    with pytest.raises(Forbidden):
        link_access_details(services, viewer=viewer, request="req_nope")
    kinds = [e.kind for e in audit.read_events(services.store)]
    assert {"link.created", "link.code_sent", "link.code_verified", "request.created"} <= set(kinds)
    made = next(e for e in audit.read_events(services.store) if e.kind == "request.created")
    assert (made.data["trigger"], made.data["access_link"]) == ("link", viewer.link.key)


def test_a_code_is_single_use_bound_to_its_link_and_dies_after_five_wrong_tries(
    services: Services, kept: KeptNotices
) -> None:
    first, second = _link(services), _link(services)
    request_code(services, token=first, email=PARTNER, name="Pat", client=CLIENT)
    code = _code(kept)
    assert len(code) >= 6 and code.isdigit()
    with pytest.raises(Unauthenticated):  # the code of another link
        verify_code(services, token=second, email=PARTNER, code=code, client=CLIENT)
    verify_code(services, token=first, email=PARTNER, code=code, client=CLIENT)
    with pytest.raises(Unauthenticated):  # replayed
        verify_code(services, token=first, email=PARTNER, code=code, client=CLIENT)
    request_code(services, token=first, email=PARTNER, name="Pat", client=CLIENT)
    code = _code(kept)
    wrong = "00000000" if code != "00000000" else "11111111"
    for _ in range(MAX_TRIES):
        with pytest.raises(Unauthenticated):
            verify_code(services, token=first, email=PARTNER, code=wrong, client=CLIENT)
    with pytest.raises(Unauthenticated):  # dead, right code or not
        verify_code(services, token=first, email=PARTNER, code=code, client=CLIENT)


def test_an_expired_code_and_a_foreign_domain_are_refused(
    services: Services, kept: KeptNotices, clock: ManualClock
) -> None:
    token = _link(services, allowed_domains=["partner.example"])
    with pytest.raises(Forbidden, match=r"partner\.example"):
        request_code(services, token=token, email="eve@evil.example", name="Eve", client=CLIENT)
    assert not kept.notices
    request_code(services, token=token, email=PARTNER, name="Pat", client=CLIENT)
    clock.advance(10 * 60 + 1)
    with pytest.raises(Unauthenticated):
        verify_code(services, token=token, email=PARTNER, code=_code(kept), client=CLIENT)


def test_disabled_rotated_expired_and_used_up_links_are_refused(
    services: Services, kept: KeptNotices, clock: ManualClock
) -> None:
    token = _link(services, max_uses=1)
    viewer = _signed_in(services, kept, token)
    _ask(services, viewer)
    with pytest.raises(LinkRefused) as used_up:
        open_link(services, token=token, client=CLIENT)
    assert used_up.value.state is LinkState.USED_UP
    with pytest.raises(LinkRefused):
        _ask(services, viewer)

    token = _link(services)
    link = open_link(services, token=token, client=CLIENT)
    fresh = rotate_access_link(services, actor=DEMO_ADMIN, link=link.key)
    with pytest.raises(LinkRefused) as rotated:
        open_link(services, token=token, client=CLIENT)
    assert rotated.value.state is LinkState.INVALID
    assert open_link(services, token=fresh.token, client=CLIENT).key == link.key
    disable_access_link(services, actor=DEMO_ADMIN, link=link.key)
    with pytest.raises(LinkRefused) as disabled:
        open_link(services, token=fresh.token, client=CLIENT)
    assert disabled.value.state is LinkState.INVALID
    with pytest.raises(StateConflict):
        rotate_access_link(services, actor=DEMO_ADMIN, link=link.key)

    token = _link(services)
    clock.advance(7 * 86400)
    with pytest.raises(LinkRefused) as expired:
        open_link(services, token=token, client=CLIENT)
    assert expired.value.state is LinkState.EXPIRED
    refused = [e for e in audit.read_events(services.store) if e.kind == "link.refused"]
    assert [e.data["reason"] for e in refused][-1] == "expired"


def test_guessed_tokens_are_throttled_per_address(services: Services, kept: KeptNotices) -> None:
    for _ in range(20):
        with pytest.raises(LinkRefused):
            open_link(services, token="guess" * 8, client=CLIENT)
    real = _link(services)
    with pytest.raises(LinkThrottled):
        open_link(services, token=real, client=CLIENT)
    assert open_link(services, token=real, client="198.51.100.1").props["flow"] == FLOW.key


def test_only_admins_issue_links_and_only_for_external_link_flows(
    services: Services, kept: KeptNotices
) -> None:
    later = services.clock() + 3600
    with pytest.raises(Forbidden):
        create_access_link(services, actor=DEMO_GRANTEE, flow=FLOW.key, expires_at=later)
    with pytest.raises(InvalidInput, match="does not admit external requesters"):
        create_access_link(services, actor=DEMO_ADMIN, flow="db-readers", expires_at=later)
    with pytest.raises(InvalidInput, match="not a domain"):
        create_access_link(
            services,
            actor=DEMO_ADMIN,
            flow=FLOW.key,
            expires_at=later,
            allowed_domains=["not a domain"],
        )
    assert services.store.find_nodes("AccessLink") == []


def test_a_link_asks_only_for_what_its_flow_offers(services: Services, kept: KeptNotices) -> None:
    viewer = _signed_in(services, kept, _link(services))
    with pytest.raises(AccessDenied):
        _ask(services, viewer, resource="pg-prod/payments")
    assert link_requests(services, viewer=viewer) == []


def test_one_code_used_twice_at_once_starts_one_session(
    services: Services, kept: KeptNotices
) -> None:
    token = _link(services)
    request_code(services, token=token, email=PARTNER, name="Pat", client=CLIENT)
    code, start = _code(kept), threading.Barrier(2)

    def verify() -> str:
        start.wait()
        try:
            verify_code(services, token=token, email=PARTNER, code=code, client=CLIENT)
        except Unauthenticated:
            return "refused"
        return "session"

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(lambda _: verify(), range(2)))
    assert outcomes == ["refused", "session"]
    assert len(services.store.find_nodes("LinkSession")) == 1


def test_an_approver_who_asked_through_a_link_with_their_own_email_cannot_approve_it(
    services: Services, kept: KeptNotices
) -> None:
    """Proving the approver's own email at a link makes the same person, not a stranger: the
    approval plan leaves the requester's key (the email) out of every step, group members
    too, so they cannot approve, and the request stays PENDING for the others."""
    by_group = replace(
        FLOW, key="partner-orders-eng", approvers=(), approver_groups=("engineering",)
    )
    save_access_flow(services, actor=DEMO_ADMIN, flow=by_group)
    issued = create_access_link(
        services, actor=DEMO_ADMIN, flow=by_group.key, expires_at=services.clock() + 86400
    )
    token = issued.token
    request_code(services, token=token, email=DEMO_APPROVER, name="Grace", client=CLIENT)
    code = _code(kept, to=DEMO_APPROVER)
    started = verify_code(services, token=token, email=DEMO_APPROVER, code=code, client=CLIENT)
    viewer = link_viewer(services, started.session_id)
    assert viewer is not None
    request = _ask(services, viewer)
    with pytest.raises(Forbidden):
        approve_request(services, approver=DEMO_APPROVER, request=request)
    node = services.store.get_node("AccessRequest", request)
    assert node is not None and node.props["state"] == "PENDING"
