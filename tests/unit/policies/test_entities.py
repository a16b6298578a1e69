"""policies.entities: what a decision is about, checked, then turned into Cedar input."""

from __future__ import annotations

import json
from dataclasses import replace

import cedarpy
import pytest

from policies.entities import (
    DecisionRequest,
    Principal,
    RequestContext,
    Resource,
    _principal_json,
    authorize,
    cedar_entities,
    cedar_request,
    request_entities,
    resource_fragments,
)

LEDGER = Resource(
    "pg-prod/payments/ledger",
    ancestors=(("Resource", "pg-prod/payments"), ("Integration", "pg-prod")),
    tags=frozenset({"pii", "finance"}),
)


def test_the_resource_chain_gives_each_entity_its_direct_parent_only() -> None:
    """Cedar closes `in` transitively itself; tags ride on the requested resource only."""
    alice = Principal("alice@corp.com", "alice@corp.com", groups=frozenset({"eng"}))
    request = DecisionRequest(alice, LEDGER, RequestContext("portal", ("read",), 30))
    entities = {e["uid"]["id"]: e for e in json.loads(cedar_entities(request))}
    assert entities["pg-prod/payments/ledger"] == {
        "uid": {"type": "Resource", "id": "pg-prod/payments/ledger"},
        "attrs": {"tags": ["finance", "pii"]},
        "parents": [{"type": "Resource", "id": "pg-prod/payments"}],
    }
    assert entities["pg-prod/payments"]["parents"] == [{"type": "Integration", "id": "pg-prod"}]
    assert entities["pg-prod"] == {
        "uid": {"type": "Integration", "id": "pg-prod"},
        "attrs": {},
        "parents": [],
    }


def test_the_principal_carries_its_groups_manager_and_group_nesting() -> None:
    alice = Principal(
        "alice@corp.com",
        "alice@corp.com",
        groups=frozenset({"backend"}),
        manager="boss@corp.com",
        group_parents={"backend": ("engineering",)},
    )
    request = DecisionRequest(alice, LEDGER, RequestContext("portal", ("read",), 30))
    entities = {e["uid"]["id"]: e for e in json.loads(cedar_entities(request))}
    assert entities["alice@corp.com"]["attrs"] == {
        "email": "alice@corp.com",
        "manager": {"__entity": {"type": "User", "id": "boss@corp.com"}},
    }
    assert entities["alice@corp.com"]["parents"] == [{"type": "Group", "id": "backend"}]
    assert entities["backend"]["parents"] == [{"type": "Group", "id": "engineering"}]
    assert entities["engineering"]["parents"] == []
    assert alice.all_groups() == {"backend", "engineering"}


def test_the_context_is_sent_with_the_justification_trimmed() -> None:
    alice = Principal("alice@corp.com", "alice@corp.com")
    context = RequestContext("link", ("write", "read", "read"), 45, "  on call \n")
    assert cedar_request(DecisionRequest(alice, LEDGER, context)) == {
        "principal": {"type": "User", "id": "alice@corp.com"},
        "action": {"type": "Action", "id": "request"},
        "resource": {"type": "Resource", "id": "pg-prod/payments/ledger"},
        "context": {
            "trigger": "link",
            "permissions": ["read", "write"],
            "duration_minutes": 45,
            "justification": "on call",
        },
    }


def test_a_request_on_behalf_sends_the_beneficiary_and_whether_they_report_to_the_requester() -> (
    None
):
    boss = Principal("boss@corp.com", "boss@corp.com")
    context = RequestContext(
        "portal", ("read",), 30, beneficiary="alice@corp.com", beneficiary_report=True
    )
    sent = cedar_request(DecisionRequest(boss, LEDGER, context))["context"]
    assert sent["beneficiary"] == {"__entity": {"type": "User", "id": "alice@corp.com"}}
    assert sent["beneficiary_report"] is True


def test_a_request_for_oneself_cannot_claim_to_be_for_a_report() -> None:
    with pytest.raises(ValueError, match="oneself"):
        RequestContext("portal", ("read",), 30, beneficiary_report=True)


def test_bundles_become_parents_of_the_requested_resource_only() -> None:
    bundled = Resource(
        "pg-prod/payments",
        ancestors=(("Integration", "pg-prod"),),
        bundles=frozenset({"oncall", "finance"}),
    )
    request = DecisionRequest(Principal("a", "a"), bundled, RequestContext("portal", ("read",), 5))
    entities = {e["uid"]["id"]: e for e in json.loads(cedar_entities(request))}
    assert entities["pg-prod/payments"]["parents"] == [
        {"type": "Integration", "id": "pg-prod"},
        {"type": "Bundle", "id": "finance"},
        {"type": "Bundle", "id": "oncall"},
    ]
    assert entities["pg-prod"]["parents"] == []


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Principal("g", "g", kind="Group"), "principal kind `Group`"),
        (
            lambda: Principal("v@x.org", "v@x.org", kind="ExternalUser", groups=frozenset({"a"})),
            "external user `v@x.org` cannot have groups",
        ),
        (lambda: Resource("r", kind="Bucket"), "resource kind `Bucket`"),
        (
            lambda: Resource("r", ancestors=(("Integration", "pg"), ("Resource", "p"))),
            "ancestors must be resources, then one integration",
        ),
        (
            lambda: Resource("pg", kind="Integration", ancestors=(("Resource", "p"),)),
            "ancestors must be resources, then one integration",
        ),
        (
            lambda: Resource("r", ancestors=(("Resource", "r"),)),
            "appears twice in its own ancestry",
        ),
        (lambda: RequestContext("portal", ("read",), True), "duration `True`"),
        (lambda: RequestContext("portal", ("read",), 2**63), "is not a whole number"),
        (lambda: RequestContext("portal", ("read",), 5, now=float("nan")), "time `nan`"),
        (lambda: RequestContext("portal", ("read",), 5, now=1e20), "between 1970 and 3000"),
    ],
)
def test_a_request_cedar_could_not_represent_is_refused_when_built(
    make: object, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        make()  # type: ignore[operator]


def test_the_fast_authorize_call_answers_exactly_as_cedarpys_public_one() -> None:
    """`authorize` skips cedarpy's wrapper; it must not change a single answer."""
    policies = cedarpy.PolicySet.from_str(
        '@id("a")\npermit (principal, action, resource in Integration::"pg-prod") when '
        '{ !(context has beneficiary) && context.justification != "" };\n'
        '@id("b")\nforbid (principal, action, resource) when '
        "{ context has beneficiary_report && context.beneficiary_report };"
    )
    alice = Principal("alice@corp.com", "alice@corp.com")
    requests = [
        DecisionRequest(alice, LEDGER, RequestContext("portal", ("read",), 30, why))
        for why in ("", "on call")
    ]
    requests.append(
        DecisionRequest(
            alice, LEDGER, RequestContext("portal", ("read",), 30, "x", 0, "bob@corp.com", True)
        )
    )
    entities = request_entities(requests[0])
    fast = authorize(requests, policies, entities)
    public = cedarpy.is_authorized_batch([cedar_request(r) for r in requests], policies, entities)
    assert [r.decision for r in fast] == [
        cedarpy.Decision.Deny,
        cedarpy.Decision.Allow,
        cedarpy.Decision.Deny,
    ]
    assert [(r.decision, r.diagnostics.reasons, r.diagnostics.errors) for r in fast] == [
        (r.decision, r.diagnostics.reasons, r.diagnostics.errors) for r in public
    ]


def test_the_fast_path_sends_the_resource_as_one_entity_with_its_whole_ancestry() -> None:
    bundled = replace(LEDGER, bundles=frozenset({"finance"}), type="table")
    (fragment,) = resource_fragments(bundled)
    assert json.loads(fragment.text) == {
        "uid": {"type": "Resource", "id": "pg-prod/payments/ledger"},
        "attrs": {"tags": ["finance", "pii"], "type": "table"},
        "parents": [
            {"type": "Resource", "id": "pg-prod/payments"},
            {"type": "Integration", "id": "pg-prod"},
            {"type": "Bundle", "id": "finance"},
        ],
    }


def test_the_principal_entity_text_is_the_json_of_its_entity() -> None:
    key = ("User", 'a"b\\c', "é@x", frozenset({"g\n1", "g0"}), "boss")
    assert json.loads(_principal_json(key)) == {
        "uid": {"type": "User", "id": 'a"b\\c'},
        "attrs": {"email": "é@x", "manager": {"__entity": {"type": "User", "id": "boss"}}},
        "parents": [{"type": "Group", "id": "g\n1"}, {"type": "Group", "id": "g0"}],
    }


def test_the_justification_is_left_out_only_when_asked() -> None:
    request = DecisionRequest(
        Principal("a", "a"), LEDGER, RequestContext("portal", ("read",), 5, "why")
    )
    assert cedar_request(request)["context"]["justification"] == "why"
    assert "justification" not in cedar_request(request, justification=False)["context"]
