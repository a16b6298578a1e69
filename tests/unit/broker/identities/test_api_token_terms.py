"""An API token's terms: it expires (90 days unless asked otherwise, at most 365), it has a
scope (`full` acts as the owner, `read` is refused every change), its use is recorded at
most once a minute, and tokens issued before any of this keep working as full and
never expiring."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from broker import InvalidInput, Services, Unauthenticated, audit, authenticate
from broker import read_only_refusal as refusal_for
from broker.demo import DEMO_ADMIN, DEMO_GRANTEE
from broker.identities.api_tokens import TOKEN_PREFIX, TokenUser, hash_token, token_key
from broker.identities.manage_tokens import issue_token
from graph import Node, NodeRef, UpsertEdge, UpsertNode
from tests.support.clock import ManualClock

DAY = 86400.0


def _issue(services: Services, **terms: Any) -> tuple[Node, str]:
    return issue_token(services, actor=DEMO_GRANTEE, owner=DEMO_GRANTEE, name="ci", **terms)


def _stored(services: Services, key: str) -> Node:
    node = services.store.get_node("ApiToken", key)
    assert node is not None
    return node


def test_a_token_expires_after_90_days_by_default(services: Services, clock: ManualClock) -> None:
    issued_at = clock()
    node, token = _issue(services)
    assert node.props["expires_at"] == issued_at + 90 * DAY
    clock.advance(90 * DAY - 1)
    assert authenticate(services, token).key == DEMO_GRANTEE
    clock.advance(1)
    day = datetime.fromtimestamp(issued_at + 90 * DAY, UTC).strftime("%Y-%m-%d %H:%M UTC")
    with pytest.raises(Unauthenticated) as refused:
        authenticate(services, token)
    assert str(refused.value) == f"API token `ci` expired on {day}: issue a new one"


def test_a_token_lasts_the_days_asked_for(services: Services, clock: ManualClock) -> None:
    _, token = _issue(services, expires_in_days=365)
    clock.advance(365 * DAY - 1)
    assert authenticate(services, token).key == DEMO_GRANTEE
    clock.advance(1)
    with pytest.raises(Unauthenticated, match="expired on"):
        authenticate(services, token)


@pytest.mark.parametrize(
    ("terms", "message"),
    [
        ({"scope": "write"}, "token scope `write` is unknown: use `full`, `read` or `scim`"),
        ({"scope": "READ"}, "token scope `READ` is unknown: use `full`, `read` or `scim`"),
        ({"expires_in_days": 0}, "token expiry `0` days is out of range"),
        ({"expires_in_days": 366}, "token expiry `366` days is out of range"),
        ({"expires_in_days": -5}, "token expiry `-5` days is out of range"),
        ({"expires_in_days": True}, "token expiry `True` days is out of range"),
    ],
)
def test_bad_terms_are_refused_and_issue_nothing(
    services: Services, terms: dict[str, Any], message: str
) -> None:
    before_tokens = len(services.store.find_nodes("ApiToken"))
    before_events = len(list(audit.read_events(services.store)))
    with pytest.raises(InvalidInput) as refused:
        _issue(services, **terms)
    assert str(refused.value).startswith(message)
    assert len(services.store.find_nodes("ApiToken")) == before_tokens
    assert len(list(audit.read_events(services.store))) == before_events


def test_the_issue_event_carries_scope_and_expiry_never_the_token(
    services: Services, clock: ManualClock
) -> None:
    node, token = issue_token(
        services,
        actor=DEMO_ADMIN,
        owner=DEMO_GRANTEE,
        name="reports",
        scope="read",
        expires_in_days=30,
    )
    issued = [e for e in audit.read_events(services.store) if e.kind == "token.issued"][-1]
    assert issued.subject == node.key and issued.actor == DEMO_ADMIN
    assert issued.data == {
        "owner": DEMO_GRANTEE,
        "name": "reports",
        "scope": "read",
        "expires_at": clock() + 30 * DAY,
    }
    assert token not in str(issued.props)
    assert str(node.props["token_hash"]) not in str(issued.props)


def test_a_read_token_authenticates_as_its_owner_and_is_refused_changes(
    services: Services,
) -> None:
    _, token = _issue(services, scope="read")
    viewer = authenticate(services, token)
    assert (viewer.kind, viewer.key, viewer.scope) == ("User", DEMO_GRANTEE, "read")
    assert refusal_for(viewer) == (
        "API token `ci` has scope `read`: it may run queries but no mutation; issue a token "
        "with scope `full` to change anything"
    )


def test_a_full_token_and_any_other_caller_may_change_things(services: Services) -> None:
    _, token = _issue(services, scope="full")
    viewer = authenticate(services, token)
    assert viewer.scope == "full"
    assert refusal_for(viewer) is None
    user = services.store.get_node("User", DEMO_GRANTEE)
    assert user is not None  # a caller signed in otherwise (a browser session)
    assert refusal_for(user) is None


def test_a_scope_this_version_does_not_know_only_reads() -> None:
    stranger = TokenUser("User", DEMO_GRANTEE, {}, token_name="odd", scope="admin")
    assert refusal_for(stranger) is not None


def test_use_is_recorded_at_most_once_a_minute(services: Services, clock: ManualClock) -> None:
    node, token = _issue(services)
    assert "last_used_at" not in node.props
    first = clock()
    authenticate(services, token)
    assert _stored(services, node.key).props["last_used_at"] == first
    clock.advance(59)
    authenticate(services, token)
    authenticate(services, token)
    assert _stored(services, node.key).props["last_used_at"] == first
    clock.advance(1)
    authenticate(services, token)
    assert _stored(services, node.key).props["last_used_at"] == first + 60


def test_a_refused_token_records_no_use(services: Services, clock: ManualClock) -> None:
    node, token = _issue(services, expires_in_days=1)
    clock.advance(DAY)
    with pytest.raises(Unauthenticated):
        authenticate(services, token)
    assert "last_used_at" not in _stored(services, node.key).props


def test_a_token_from_before_scopes_and_expiry_stays_full_and_never_expires(
    services: Services, clock: ManualClock
) -> None:
    # As the previous version wrote it: no scope, no expiry.
    token = TOKEN_PREFIX + "an-old-token-from-the-previous-version"
    key = token_key(token)
    old = {
        "token_hash": hash_token(token),
        "owner": DEMO_GRANTEE,
        "name": "legacy",
        "created_at": clock(),
        "revoked": False,
    }
    services.store.write(
        [
            UpsertNode("ApiToken", key, old),
            UpsertEdge("OWNS", NodeRef("User", DEMO_GRANTEE), NodeRef("ApiToken", key)),
        ]
    )
    clock.advance(10 * 365 * DAY)
    viewer = authenticate(services, token)
    assert (viewer.key, viewer.scope) == (DEMO_GRANTEE, "full")
    assert refusal_for(viewer) is None
    assert _stored(services, key).props["last_used_at"] == clock()
