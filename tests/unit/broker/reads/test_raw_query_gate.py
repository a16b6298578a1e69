"""The bounds on raw queries running at once: one per caller, `at_once` overall."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from broker.reads.graph_queries import RawQueryGate, RawQueryLimits, TooManyQueries


@contextmanager
def _holding(gate: RawQueryGate, caller: str) -> Iterator[None]:
    """`caller` holds a slot in another thread until the block ends."""
    admitted, done = threading.Event(), threading.Event()

    def hold() -> None:
        with gate.admit(caller):
            admitted.set()
            done.wait(5)

    worker = threading.Thread(target=hold)
    worker.start()
    assert admitted.wait(5)
    try:
        yield
    finally:
        done.set()
        worker.join()


def test_a_second_query_from_the_same_caller_is_refused_while_the_first_runs() -> None:
    gate = RawQueryGate(RawQueryLimits(timeout_s=3, at_once=2, wait_s=1))

    with _holding(gate, "ann@corp.example"):
        started = time.monotonic()
        with (
            pytest.raises(TooManyQueries) as refused,
            gate.admit("ann@corp.example"),
        ):
            pass
        assert time.monotonic() - started < 0.5  # refused at once, not after the wait

    assert refused.value.code == "too_many_queries"
    assert str(refused.value) == (
        "`ann@corp.example` already has a raw query running: wait for its answer "
        "(at most 3 s), then ask again"
    )
    with gate.admit("ann@corp.example"):
        pass  # admitted again once the first ended


def test_a_query_past_the_overall_bound_waits_briefly_then_is_refused() -> None:
    gate = RawQueryGate(RawQueryLimits(at_once=2, wait_s=0.2))

    with _holding(gate, "ann"), _holding(gate, "bob"):
        started = time.monotonic()
        with (
            pytest.raises(TooManyQueries, match=re.escape("already running 2 raw queries")),
            gate.admit("cid"),
        ):
            pass
        waited = time.monotonic() - started

    assert 0.2 <= waited < 1.0
    with gate.admit("cid"):
        pass


def test_a_query_waiting_for_a_slot_runs_when_one_frees_in_time() -> None:
    gate = RawQueryGate(RawQueryLimits(at_once=1, wait_s=3))
    admitted_at: list[float] = []

    with _holding(gate, "ann"):
        waiter = threading.Thread(target=lambda: _admit_and_note(gate, "bob", admitted_at))
        waiter.start()
        time.sleep(0.3)
        assert admitted_at == []  # still waiting while ann holds the only slot
    waiter.join()

    assert len(admitted_at) == 1


def _admit_and_note(gate: RawQueryGate, caller: str, noted: list[float]) -> None:
    with gate.admit(caller):
        noted.append(time.monotonic())


def test_a_query_that_fails_gives_its_slot_and_its_caller_back() -> None:
    gate = RawQueryGate(RawQueryLimits(at_once=1, wait_s=0))

    with pytest.raises(RuntimeError), gate.admit("ann"):
        raise RuntimeError("the query failed")

    with gate.admit("ann"):
        pass


def test_the_default_limits_are_ten_seconds_and_two_at_once() -> None:
    assert RawQueryLimits() == RawQueryLimits(timeout_s=10.0, at_once=2, wait_s=2.0)
