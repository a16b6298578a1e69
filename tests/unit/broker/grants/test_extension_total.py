"""A grant's whole lifetime, from its grant to its expiry after every extension, never
exceeds its flow's maximum duration; extensions past it are refused with the minutes left."""

from __future__ import annotations

import pytest

from broker import InvalidInput, Services, audit
from broker.demo import DEMO_ADMIN, DEMO_GRANTEE
from broker.grants.extend_grant import extend_grant
from graph import NodeRef
from tests.support.clock import ManualClock
from tests.support.grants_lab import FLOW, add_lab, ask

# The lab flow: at most 60 minutes, extendable twice.


def _lifetime_minutes(services: Services, key: str) -> float:
    request = services.store.get_node("AccessRequest", key)
    assert request is not None
    return (float(request.props["expires_at"]) - float(request.props["granted_at"])) / 60


def _stored(services: Services, key: str) -> tuple[object, ...]:
    """Everything an extension writes: the request's, the grant's and the edge's expiry,
    the count, and the activity log's length."""
    request = services.store.get_node("AccessRequest", key)
    grant = services.store.get_node("Grant", key)
    edges = services.store.edges("HAS_ACCESS", src=NodeRef("User", DEMO_GRANTEE))
    assert request is not None and grant is not None
    return (
        request.props["expires_at"],
        request.props.get("extensions"),
        grant.props["expires_at"],
        [e.props["expires_at"] for e in edges if e.key == key],
        len(list(audit.read_events(services.store))),
    )


def test_extensions_past_the_flows_maximum_in_all_are_refused_with_the_minutes_left(
    services: Services,
) -> None:
    """30 minutes granted, then 25 more: 5 are left of 60, and 6 more are refused."""
    add_lab(services)
    key = ask(services, minutes=30).key
    extend_grant(services, actor=DEMO_GRANTEE, request=key, minutes=25)
    before = _stored(services, key)
    with pytest.raises(
        InvalidInput,
        match=(
            f"an extension of `6` minutes would make request `{key}` last longer than flow "
            f"`{FLOW}`'s maximum of 60 minutes from its grant to its expiry: 5 minutes are "
            "left to extend; ask for 5 or less"
        ),
    ):
        extend_grant(services, actor=DEMO_GRANTEE, request=key, minutes=6)
    assert _stored(services, key) == before, "a refused extension stores nothing"
    assert _lifetime_minutes(services, key) == 55


def test_a_short_grant_extends_up_to_exactly_the_flows_maximum_and_then_no_further(
    services: Services, clock: ManualClock
) -> None:
    """Asking for less than the maximum leaves the rest to extend: 30 + 30 is the 60."""
    add_lab(services)
    key = ask(services, minutes=30).key
    clock.advance(10 * 60)  # the lifetime counts from the grant, not from now
    extended = extend_grant(services, actor=DEMO_GRANTEE, request=key, minutes=30)
    assert extended.props["extensions"] == 1
    assert _lifetime_minutes(services, key) == 60
    before = _stored(services, key)
    with pytest.raises(InvalidInput, match="0 minutes are left to extend; request access again"):
        extend_grant(services, actor=DEMO_ADMIN, request=key, minutes=1)
    assert _stored(services, key) == before


def test_a_grant_of_the_full_maximum_cannot_be_extended_at_all(services: Services) -> None:
    add_lab(services)
    key = ask(services, minutes=60).key
    with pytest.raises(InvalidInput, match=r"maximum of 60 minutes.*: 0 minutes are left"):
        extend_grant(services, actor=DEMO_GRANTEE, request=key, minutes=60)
    assert _lifetime_minutes(services, key) == 60


def test_the_number_of_extensions_stays_bounded_within_the_total(services: Services) -> None:
    """Two extensions of 10 minutes leave 10 of the 60, yet a third is refused by count."""
    add_lab(services)
    key = ask(services, minutes=30).key
    extend_grant(services, actor=DEMO_GRANTEE, request=key, minutes=10)
    extend_grant(services, actor=DEMO_GRANTEE, request=key, minutes=10)
    before = _stored(services, key)
    with pytest.raises(InvalidInput, match=f"extended 2 time\\(s\\), the most flow `{FLOW}`"):
        extend_grant(services, actor=DEMO_GRANTEE, request=key, minutes=5)
    assert _stored(services, key) == before
    assert _lifetime_minutes(services, key) == 50
