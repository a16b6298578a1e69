"""Races: concurrent compare-and-set writers, through one store shared by threads."""

from __future__ import annotations

import threading
from collections.abc import Callable

from graph import ConflictError, GraphStore, SetProps
from tests.contract._graph import access_request

ROUNDS = 20


def _race(writers: list[Callable[[], None]]) -> list[BaseException | None]:
    """Start every writer at the same instant; return what each raised (None: it won)."""
    start = threading.Barrier(len(writers))
    outcomes: list[BaseException | None] = [None] * len(writers)

    def run(index: int) -> None:
        start.wait()
        try:
            writers[index]()
        except BaseException as exc:
            outcomes[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(writers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a racing writer hung"
    return outcomes


def _approve_as(store: GraphStore, key: str, approver: str) -> Callable[[], None]:
    def approve() -> None:
        store.write(
            [
                SetProps(
                    "AccessRequest",
                    key,
                    {"state": "APPROVED", "decided_by": approver},
                    expect={"state": "PENDING"},
                )
            ]
        )

    return approve


def test_two_approvers_racing_one_request_exactly_one_wins(store: GraphStore) -> None:
    for round_ in range(ROUNDS):
        key = f"r{round_}"
        store.write([access_request(key)])

        outcomes = _race([_approve_as(store, key, "bob"), _approve_as(store, key, "carol")])

        winners = [name for name, exc in zip(("bob", "carol"), outcomes, strict=True) if not exc]
        losers = [exc for exc in outcomes if exc is not None]
        assert len(winners) == 1, f"round {round_}: {outcomes}"
        assert len(losers) == 1 and isinstance(losers[0], ConflictError), losers
        assert losers[0].actual == {"state": "APPROVED"}
        node = store.get_node("AccessRequest", key)
        assert node is not None
        assert node.props["decided_by"] == winners[0]


def test_many_workers_racing_one_transition_yield_one_winner(store: GraphStore) -> None:
    store.write([access_request("r1")])
    names = [f"worker-{i}" for i in range(8)]

    outcomes = _race([_approve_as(store, "r1", name) for name in names])

    assert sum(exc is None for exc in outcomes) == 1
    assert all(isinstance(exc, ConflictError) for exc in outcomes if exc is not None)


def test_version_increments_under_contention_lose_no_update(store: GraphStore) -> None:
    store.write([access_request("r1", version=0)])
    threads, increments = 4, 10

    def increment_many() -> None:
        for _ in range(increments):
            while True:  # the usual optimistic loop: read, compare-and-set, retry on conflict
                node = store.get_node("AccessRequest", "r1")
                assert node is not None
                seen = node.props["version"]
                try:
                    store.write(
                        [SetProps("AccessRequest", "r1", {"version": seen + 1}, {"version": seen})]
                    )
                    break
                except ConflictError:
                    continue

    outcomes = _race([increment_many] * threads)

    assert outcomes == [None] * threads
    node = store.get_node("AccessRequest", "r1")
    assert node is not None
    assert node.props["version"] == threads * increments
