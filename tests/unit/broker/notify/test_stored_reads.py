"""The delivery worker's reads of stored webhooks: a notice is served by a read that began
after it was published, and by no earlier one; notices published before a read share it."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from broker.notify import Webhook
from broker.notify._stored_reads import StoredWebhookReads


def _hook(name: str) -> Webhook:
    return Webhook(f"https://hooks.example/{name}", "secret", frozenset())


class _Graph:
    """What the graph holds, and how often it was read."""

    def __init__(self) -> None:
        self.hooks: tuple[Webhook, ...] = (_hook("first"),)
        self.reads = 0

    def read(self) -> tuple[Webhook, ...]:
        self.reads += 1
        return self.hooks


def test_notices_published_before_a_read_share_it() -> None:
    graph = _Graph()
    reads = StoredWebhookReads(graph.read)
    numbers = [reads.publish() for _ in range(3)]
    assert [reads.for_notice(n) for n in numbers] == [graph.hooks] * 3
    assert graph.reads == 1


def test_a_webhook_saved_before_a_notice_is_seen_even_after_an_earlier_read() -> None:
    graph = _Graph()
    reads = StoredWebhookReads(graph.read)
    first = reads.publish()
    assert reads.for_notice(first) == (_hook("first"),)
    graph.hooks = (_hook("first"), _hook("saved"))  # saved after that read
    second = reads.publish()
    assert reads.for_notice(second) == (_hook("first"), _hook("saved"))
    assert graph.reads == 2


def test_a_notice_published_while_a_read_runs_gets_a_read_of_its_own() -> None:
    """The read in flight may have missed a webhook saved just before the notice."""
    graph = _Graph()
    started, release = threading.Event(), threading.Event()

    def slow_read() -> tuple[Webhook, ...]:
        seen = graph.read()
        started.set()
        release.wait(5)
        return seen

    reads = StoredWebhookReads(slow_read)
    first = reads.publish()
    with ThreadPoolExecutor(1) as pool:
        in_flight = pool.submit(reads.for_notice, first)
        assert started.wait(5)
        graph.hooks = (_hook("saved"),)  # saved while the first read runs
        second, third = reads.publish(), reads.publish()
        release.set()
        assert in_flight.result(5) == (_hook("first"),)
    assert reads.for_notice(second) == (_hook("saved"),)
    assert reads.for_notice(third) == (_hook("saved"),)
    assert graph.reads == 2


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_reads_are_spaced_and_the_wait_serves_the_notices_published_meanwhile() -> None:
    graph, clock = _Graph(), _Clock()
    reads = StoredWebhookReads(graph.read, spacing=0.05, clock=clock, sleep=clock.sleep)
    assert reads.for_notice(reads.publish()) == graph.hooks  # the first read waits for none
    assert clock.slept == []
    clock.now += 0.01
    second = reads.publish()
    third = reads.publish()  # published while the worker waits to read for the second
    reads.for_notice(second)
    assert clock.slept == [pytest.approx(0.04)]  # until 50 ms after the first read began
    reads.for_notice(third)
    assert graph.reads == 2
    clock.now += 1.0  # a quiet worker reads at once
    reads.for_notice(reads.publish())
    assert len(clock.slept) == 1 and graph.reads == 3
