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

# As many as anyio's default limiter allowed: enough for slow graph round trips to
# overlap, few enough that a flood cannot start thousands of threads.
MAX_THREADS = 40

T = TypeVar("T")

_pool = ThreadPoolExecutor(max_workers=MAX_THREADS, thread_name_prefix="keyturn-call")


async def off_loop(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """`fn(*args, **kwargs)` on a worker thread; the event loop serves others meanwhile."""
    context = contextvars.copy_context()
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_pool, partial(context.run, fn, *args, **kwargs))
