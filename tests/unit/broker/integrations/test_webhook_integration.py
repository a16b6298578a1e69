"""The webhook integration against a real HTTP receiver that verifies every signature."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from broker import Forbidden, Services, StateConflict, audit, expire_due_grants
from broker._backoff import RetryPolicy
from broker.demo import DEMO_ADMIN, DEMO_GRANTEE
from broker.grants._write import GrantFailed
from broker.grants.access_details import access_details
from broker.grants.revoke_grant import revoke_grant
from tests.support.clock import ManualClock
from tests.support.grants_lab import access_keys, add_lab, ask, state_of
from tests.support.webhook_receiver import SECRET, Receiver, receiving


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as got:
        yield got


@pytest.fixture
def hooked(wired: Services, receiver: Receiver) -> Services:
    add_lab(wired, type_="webhook", config={"url": receiver.url, "secret": SECRET})
    return wired


def test_grant_and_revoke_are_signed_posts_carrying_the_request_as_idempotency_key(
    hooked: Services, receiver: Receiver
) -> None:
    granted = ask(hooked)
    assert granted.props["state"] == "GRANTED"
    assert access_keys(hooked) == [granted.key]
    revoke_grant(hooked, actor=DEMO_GRANTEE, request=granted.key)
    assert receiver.refused_signatures == 0
    assert receiver.actions() == ["grant", "revoke"]
    assert receiver.idempotency_keys == [granted.key, granted.key]
    grant = receiver.accepted[0]
    assert grant["idempotency_key"] == granted.key
    assert grant["request"]["beneficiary"] == DEMO_GRANTEE
    assert grant["request"]["resource"] == "lab/db"


def test_access_details_are_sealed_and_shown_to_the_grantee_only_while_granted(
    hooked: Services, clock: ManualClock
) -> None:
    granted = ask(hooked, minutes=10)
    stored = hooked.store.get_node("AccessRequest", granted.key)
    assert stored is not None
    assert "tmp_linus" not in str(stored.props["details"]), "details are sealed at rest"
    shown = access_details(hooked, viewer=DEMO_GRANTEE, request=granted.key)
    assert shown == {"username": "tmp_linus", "password": "pw-" + granted.key[-6:]}
    logged = json.dumps([e.data for e in audit.read_events(hooked.store)])
    assert "tmp_linus" not in logged and "pw-" not in logged
    with pytest.raises(Forbidden, match="only the person holding"):
        access_details(hooked, viewer=DEMO_ADMIN, request=granted.key)
    clock.advance(10 * 60)
    with pytest.raises(StateConflict, match="is EXPIRED: its access details are gone"):
        access_details(hooked, viewer=DEMO_GRANTEE, request=granted.key)


def test_a_receiver_that_recovers_within_the_retries_still_grants(
    hooked: Services, receiver: Receiver
) -> None:
    receiver.fail_first = 2
    granted = ask(hooked)
    assert granted.props["state"] == "GRANTED"
    assert receiver.attempts == 3


def test_a_grant_the_receiver_keeps_refusing_ends_failed_with_no_access(
    hooked: Services, receiver: Receiver
) -> None:
    receiver.fail = {"grant"}
    with pytest.raises(GrantFailed, match="answered 503 to grant"):
        ask(hooked)
    (failed,) = hooked.store.find_nodes("AccessRequest", equals={"resource": "lab/db"})
    assert failed.props["state"] == "FAILED"
    assert "secret-path" not in str(failed.props["reason"]), "the URL's path is never shown"
    assert access_keys(hooked) == []


def test_a_failing_revoke_at_expiry_is_retried_by_the_scheduler_until_it_passes(
    hooked: Services, receiver: Receiver, clock: ManualClock
) -> None:
    key = ask(hooked, minutes=5).key
    receiver.fail = {"revoke"}
    clock.advance(5 * 60)
    retry = RetryPolicy(max_attempts=5, base_delay=10.0, max_delay=20.0)
    assert expire_due_grants(hooked, retry=retry) == []
    node = hooked.store.get_node("AccessRequest", key)
    assert node is not None and node.props["revoke_failures"] == 1
    assert state_of(hooked, key) == "GRANTED"
    receiver.fail = set()
    clock.advance(20)
    assert expire_due_grants(hooked, retry=retry) == [key]
    assert access_keys(hooked) == []
    assert receiver.actions() == ["grant", "revoke"]
    assert receiver.attempts == 3, "each expiry pass tries a revoke once: no sleeping there"
