"""Blocking calls (the broker, the graph) run off the event loop, on one bounded pool.

Every route and resolver hops here, so the hop itself is on every request's path: asyncio's
executor hop costs far less than anyio's `to_thread` (a task group, a capacity limiter and
library detection per call), which on `{ me { email } }` was about a tenth of the request's
CPU; replacing it took the embedded graph from ~880 to ~1,050 requests/s at 8 clients
(tests/bench/bench_api.py). The call runs in a copy of the caller's context variables, as
anyio's does.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

# Enough for a slow graph's round trips to overlap (a request's ~2.5 ms of Python and 5
# round trips: 16 in flight keep a process busy up to ~7 ms a round trip), few enough not to
# fight over the interpreter lock. With 40 (anyio's default), the 32 callers each process
# had at 64 clients ran at once, each call's Python part interleaved with 31 others, and a
# call holding Neo4j's lock on the activity log held it that much longer: on Neo4j with 2
# workers `requestAccess` went from 106/s, p99 2.2 s, to ~150/s, p99 0.55-0.75 s, at 16
# (tests/bench/bench_api.py). Calls beyond wait in the pool's queue, first come first
# served; each caller still has at most `api.graphql.calls.CALLS_PER_CALLER` at a time.
MAX_THREADS = 16

T = TypeVar("T")

_pool = ThreadPoolExecutor(max_workers=MAX_THREADS, thread_name_prefix="keyturn-call")


async def off_loop(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """`fn(*args, **kwargs)` on a worker thread; the event loop serves others meanwhile."""
    context = contextvars.copy_context()
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_pool, partial(context.run, fn, *args, **kwargs))
