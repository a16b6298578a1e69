"""Run one function on several threads released at the same moment, for tests of what
happens when writers collide."""

from __future__ import annotations

import threading
from collections.abc import Callable


def run_at_once(work: Callable[[], None], threads: int, *, timeout: float = 120) -> None:
    """`work` on `threads` threads started together; raises AssertionError when one hangs
    past `timeout`, and the first failure of any (so none passes silently)."""
    start = threading.Barrier(threads)
    failures: list[BaseException] = []

    def run() -> None:
        start.wait()
        try:
            work()
        except BaseException as failed:
            failures.append(failed)

    running = [threading.Thread(target=run) for _ in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in running), "a thread hung"
    if failures:
        raise failures[0]
