"""One GraphQL request in flight: whose it is, its share of the worker threads, and whether
its client is still there.

Broker calls run on worker threads, which cannot be stopped once started; so each caller
gets at most `CALLS_PER_CALLER` of them at a time (one document's many aliases, or many
documents at once, cannot occupy the whole pool), and no new call starts once the client has
gone away. A caller's documents that call the broker also take turns, `DOCUMENTS_PER_CALLER`
at a time: completing a large result runs on the event loop, and worker threads compete with
it for the interpreter lock, so one caller's flood would otherwise slow everyone's requests.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

CALLS_PER_CALLER = 2
DOCUMENTS_PER_CALLER = 1

_semaphores: weakref.WeakValueDictionary[tuple[int, str, str], asyncio.Semaphore] = (
    weakref.WeakValueDictionary()
)


@dataclass
class Call:
    caller: str
    slots: asyncio.Semaphore
    turns: asyncio.Semaphore
    gone: asyncio.Event = field(default_factory=asyncio.Event)
    has_turn: bool = False
    _taking: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def take_turn(self) -> None:
        """Wait for this document's turn among its caller's (once per document)."""
        if self.has_turn:
            return
        async with self._taking:
            if not self.has_turn:
                await self.turns.acquire()
                self.has_turn = True


current_call: ContextVar[Call | None] = ContextVar("keyturn_graphql_call", default=None)


def _semaphore(caller: str, kind: str, size: int) -> asyncio.Semaphore:
    # Keyed by event loop too: a semaphore belongs to the loop that made it.
    key = (id(asyncio.get_running_loop()), caller, kind)
    found = _semaphores.get(key)
    if found is None:
        found = asyncio.Semaphore(size)
        _semaphores[key] = found
    return found


async def _watch(receive: Callable[[], Any], gone: asyncio.Event) -> None:
    """Set `gone` when the client disconnects (the request body is read by then, so the
    server's next message is the disconnect; a few body messages are passed over, no more,
    so a `receive` that keeps answering cannot spin)."""
    for _ in range(3):
        message = await receive()
        if message.get("type") == "http.disconnect":
            gone.set()
            return


@contextmanager
def tracking(caller: str, receive: Callable[[], Any] | None) -> Iterator[Call | None]:
    """Mark the running request as `caller`'s for broker calls made while it runs.

    Without a running event loop (a synchronous execution in tests) nothing is tracked.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        yield None
        return
    call = Call(
        caller=caller,
        slots=_semaphore(caller, "calls", CALLS_PER_CALLER),
        turns=_semaphore(caller, "documents", DOCUMENTS_PER_CALLER),
    )
    watcher = asyncio.ensure_future(_watch(receive, call.gone)) if receive else None
    token = current_call.set(call)
    try:
        yield call
    finally:
        current_call.reset(token)
        if call.has_turn:
            call.turns.release()
        if watcher is not None:
            watcher.cancel()
