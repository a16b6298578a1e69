"""What start-up built is moved out of the collector's sight before serving: full
collections then no longer rescan it (the p99 pauses measured in tests/bench/bench_api.py)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from api.server import freeze_startup_heap


@pytest.fixture
def thawed() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the rest of the test run collects as before


def test_the_startup_heap_is_frozen_and_collections_skip_it(thawed: None) -> None:
    built_at_start = [object() for _ in range(1_000)]
    assert gc.get_freeze_count() == 0
    freeze_startup_heap()
    assert gc.get_freeze_count() >= len(built_at_start)
    # Frozen objects are no longer among those a collection walks.
    assert not any(obj is built_at_start for obj in gc.get_objects())
