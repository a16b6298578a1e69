"""Concurrent approvers: exactly one grant, and no approval of an all-of step is lost."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial

import pytest

from broker import Services, StateConflict, approve_request, reject_request
from tests.support.approval_lab import (
    GRACE,
    MIA,
    SAM,
    TOM,
    KeptNotices,
    approved_steps,
    ask,
    grants,
    lab_flow,
    seed_lab,
    state,
)


@pytest.fixture
def kept(services: Services) -> KeptNotices:
    return seed_lab(services)


def _race(actions: list[Callable[[], object]]) -> list[str]:
    """Run `actions` at once on threads; each outcome is `won` or `conflict`."""
    outcomes: list[str] = []
    barrier = threading.Barrier(len(actions))

    def run(action: Callable[[], object]) -> None:
        barrier.wait()
        try:
            action()
            outcomes.append("won")
        except StateConflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=run, args=(a,)) for a in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


def test_concurrent_approvals_of_the_last_step_make_exactly_one_grant(
    services: Services, kept: KeptNotices
) -> None:
    lab_flow(services, approvers=(GRACE, SAM, TOM, MIA))
    key = ask(services)
    outcomes = _race(
        [
            partial(approve_request, services, approver=who, request=key)
            for who in (GRACE, SAM, TOM, MIA)
        ]
    )
    assert outcomes == ["conflict", "conflict", "conflict", "won"]
    assert state(services, key) == "GRANTED"
    assert grants(services) == 1
    assert len(approved_steps(services, key)) == 1, "a losing approval leaves no trace"


def test_concurrent_approvals_of_an_all_of_step_both_count_and_grant_once(
    services: Services, kept: KeptNotices
) -> None:
    lab_flow(services, approvers=(GRACE, SAM, TOM), approval_mode="all")
    key = ask(services)
    outcomes = _race(
        [partial(approve_request, services, approver=who, request=key) for who in (GRACE, SAM, TOM)]
    )
    assert outcomes == ["won", "won", "won"]
    assert state(services, key) == "GRANTED"
    assert grants(services) == 1
    assert approved_steps(services, key) == {GRACE: 0, SAM: 0, TOM: 0}


def test_an_approval_racing_a_rejection_has_one_winner(
    services: Services, kept: KeptNotices
) -> None:
    lab_flow(services, approvers=(GRACE, SAM))
    key = ask(services)
    outcomes = _race(
        [
            lambda: approve_request(services, approver=GRACE, request=key),
            lambda: reject_request(services, approver=SAM, request=key, reason="no"),
        ]
    )
    assert outcomes == ["conflict", "won"]
    assert state(services, key) in ("GRANTED", "REJECTED")
    assert grants(services) == (1 if state(services, key) == "GRANTED" else 0)
