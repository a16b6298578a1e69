"""What a person may request, one request's page and a request's preview: each answer is
the one `request_access` gives, and nobody learns about requests that are not theirs."""

from __future__ import annotations

import dataclasses

import pytest

from broker import (
    AccessDenied,
    DomainError,
    FlowOffer,
    Forbidden,
    InvalidInput,
    NotFound,
    Services,
    approve_request,
    preview_request,
    read_events,
    request_access,
    requestable,
    save_access_flow,
    save_bundle,
    view_request,
)
from broker.demo import DEMO_ADMIN, DEMO_APPROVER, DEMO_AUDITOR, DEMO_FLOWS, DEMO_GRANTEE
from graph import NodeRef, UpsertNode

ORDERS = "pg-prod/orders"
PAYMENTS = "pg-prod/payments"
STRANGER = "sam@acme.example"  # a grantee in no group: no flow lets them ask for anything


def _offers(services: Services, viewer: str, search: str = "") -> dict[str, dict[str, FlowOffer]]:
    page = requestable(services, viewer=viewer, search=search, first=50)
    assert not page.has_next_page
    return {item.key: {o.flow: o for o in item.flows} for item in page.items}


def test_requestable_lists_each_item_with_the_flows_that_allow_it_and_their_terms(
    services: Services,
) -> None:
    offers = _offers(services, DEMO_GRANTEE)
    assert set(offers) == {"pg-prod", "pg-prod/analytics", ORDERS, PAYMENTS}
    assert set(offers[ORDERS]) == {"db-readers", "orders-quick-look"}
    assert set(offers[PAYMENTS]) == {"db-readers"}
    readers = offers[PAYMENTS]["db-readers"]
    assert readers.permissions == ("read",)
    assert readers.max_duration_minutes == 240
    assert readers.justification_required is True
    assert readers.approval == DEMO_APPROVER
    quick = offers[ORDERS]["orders-quick-look"]
    assert quick.approval == "approved automatically"
    assert quick.max_duration_minutes == 60


def test_requestable_agrees_with_request_access_for_every_resource(services: Services) -> None:
    """Listed exactly when requesting it (for the listed flow's maximum) is allowed."""
    offers = _offers(services, DEMO_GRANTEE)
    for key in (ORDERS, PAYMENTS, "pg-prod/analytics"):
        most = max(o.max_duration_minutes for o in offers[key].values())
        made = request_access(
            services,
            requester=DEMO_GRANTEE,
            resource=key,
            permissions=["read"],
            duration_minutes=most,
            justification="incident 42",
        )
        assert made.props["flow"] in offers[key]
    with pytest.raises(AccessDenied):
        request_access(
            services, requester=_seed_stranger(services), resource=ORDERS, permissions=["read"]
        )
    assert _offers(services, STRANGER) == {}


def _seed_stranger(services: Services) -> str:
    services.store.write([UpsertNode("User", STRANGER, {"email": STRANGER, "role": "grantee"})])
    return STRANGER


def test_a_disabled_flow_is_no_longer_offered(services: Services) -> None:
    quick = dataclasses.replace(DEMO_FLOWS[1], enabled=False)
    save_access_flow(services, actor=DEMO_ADMIN, flow=quick)
    assert set(_offers(services, DEMO_GRANTEE)[ORDERS]) == {"db-readers"}


def test_search_matches_key_or_name_in_any_case(services: Services) -> None:
    assert set(_offers(services, DEMO_GRANTEE, search="PAY")) == {PAYMENTS}
    assert set(_offers(services, DEMO_GRANTEE, search="orders")) == {ORDERS}
    assert _offers(services, DEMO_GRANTEE, search="nothing-like-it") == {}


def test_pages_walked_by_cursor_hold_what_one_page_holds(services: Services) -> None:
    whole = [i.key for i in requestable(services, viewer=DEMO_GRANTEE, first=50).items]
    walked: list[str] = []
    after = None
    while True:
        page = requestable(services, viewer=DEMO_GRANTEE, first=1, after=after)
        walked += [i.key for i in page.items]
        after = page.end_cursor
        if not page.has_next_page:
            break
    assert walked == whole


@pytest.mark.parametrize("bad", [{"first": 0}, {"first": 51}, {"after": "bm90LWEtY3Vyc29y"}])
def test_a_bad_page_size_or_cursor_is_refused_precisely(
    services: Services, bad: dict[str, object]
) -> None:
    with pytest.raises(InvalidInput):
        requestable(services, viewer=DEMO_GRANTEE, **bad)  # type: ignore[arg-type]


def test_an_auditor_who_may_not_request_is_refused_before_anything_is_read(
    services: Services,
) -> None:
    with pytest.raises(Forbidden):
        requestable(services, viewer=DEMO_AUDITOR)


def test_a_bundle_is_offered_when_every_item_is_allowed(services: Services) -> None:
    items = [NodeRef("Resource", ORDERS), NodeRef("Resource", PAYMENTS)]
    save_bundle(services, actor=DEMO_ADMIN, key="payday", name="Payday", items=items)
    offers = _offers(services, DEMO_GRANTEE, search="payday")
    assert "db-readers" in offers["payday"]
    stranger = _seed_stranger(services)
    assert _offers(services, stranger, search="payday") == {}


def test_preview_gives_the_deny_request_access_gives_and_stores_nothing(
    services: Services,
) -> None:
    before_events = len(list(read_events(services.store)))
    preview = preview_request(
        services, requester=DEMO_GRANTEE, resource=PAYMENTS, permissions=["read"]
    )
    assert not preview.allowed
    assert services.store.find_nodes("AccessRequest") == []
    assert len(list(read_events(services.store))) == before_events
    with pytest.raises(AccessDenied) as refused:
        request_access(services, requester=DEMO_GRANTEE, resource=PAYMENTS, permissions=["read"])
    assert preview.explanation == str(refused.value)
    assert "justification" in preview.explanation


def test_preview_of_an_allowed_request_names_its_flow_and_duration(services: Services) -> None:
    preview = preview_request(
        services,
        requester=DEMO_GRANTEE,
        resource=PAYMENTS,
        permissions=["read"],
        justification="month end",
    )
    assert preview.allowed and preview.flow is not None
    assert preview.flow.flow == "db-readers"
    assert preview.duration_minutes == 240  # the flow's default: its maximum
    assert services.store.find_nodes("AccessRequest") == []


def test_preview_refuses_bad_input_as_request_access_does(services: Services) -> None:
    with pytest.raises(InvalidInput):
        preview_request(
            services, requester=DEMO_GRANTEE, resource=ORDERS, permissions=[], justification=""
        )
    with pytest.raises(NotFound):
        preview_request(services, requester=DEMO_GRANTEE, resource="nope", permissions=["read"])


@pytest.fixture
def pending(services: Services) -> str:
    return request_access(
        services,
        requester=DEMO_GRANTEE,
        resource=PAYMENTS,
        permissions=["read"],
        justification="month end",
    ).key


@pytest.mark.parametrize("viewer", [DEMO_GRANTEE, DEMO_APPROVER, DEMO_ADMIN, DEMO_AUDITOR])
def test_a_request_is_seen_by_its_requester_approver_admins_and_auditors(
    services: Services, pending: str, viewer: str
) -> None:
    assert view_request(services, viewer=viewer, request=pending).key == pending


def test_the_approver_still_sees_a_request_once_they_decided_it(
    services: Services, pending: str
) -> None:
    approve_request(services, approver=DEMO_APPROVER, request=pending)
    assert view_request(services, viewer=DEMO_APPROVER, request=pending).key == pending


def test_someone_elses_request_and_a_missing_one_get_the_same_answer(
    services: Services, pending: str
) -> None:
    stranger = _seed_stranger(services)
    missing = "req_" + "0" * 32
    answers = []
    for request in (pending, missing):
        with pytest.raises(DomainError) as refused:
            view_request(services, viewer=stranger, request=request)
        answers.append((refused.value.code, str(refused.value).replace(request, "ID")))
    assert answers[0] == answers[1]
    assert answers[0][0] == "forbidden"


def test_an_admin_learns_that_a_request_does_not_exist(services: Services) -> None:
    with pytest.raises(NotFound):
        view_request(services, viewer=DEMO_ADMIN, request="req_" + "0" * 32)


def test_a_flow_nobody_could_approve_for_the_viewer_is_not_offered(services: Services) -> None:
    """Grace is in `engineering`, but db-readers' only approver is Grace herself: the
    request would be refused, so neither the list nor the preview offers it."""
    assert _offers(services, DEMO_APPROVER) == {}
    with pytest.raises(InvalidInput, match="no one could ever approve"):
        preview_request(
            services,
            requester=DEMO_APPROVER,
            resource=PAYMENTS,
            permissions=["read"],
            justification="x",
        )
    with pytest.raises(InvalidInput, match="no one could ever approve"):
        request_access(
            services,
            requester=DEMO_APPROVER,
            resource=PAYMENTS,
            permissions=["read"],
            justification="x",
        )
