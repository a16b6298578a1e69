"""policies.entities: what a decision is about, checked, then turned into Cedar input."""

from __future__ import annotations

import json

import pytest

from policies.entities import (
    DecisionRequest,
    Principal,
    RequestContext,
    Resource,
    cedar_entities,
    cedar_request,
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
