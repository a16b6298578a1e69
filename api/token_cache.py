"""API tokens answered from memory on the embedded graph, exact to the last write.

`broker.authenticate` decides, always: this only remembers what it answered for a token and
hands that back while nothing in the graph has changed since. The embedded graph lives in
this one process and counts every committed write (`EmbeddedStore.changes`), so a revoked
token, a changed role or a disabled owner is seen on the very next request: any write makes
every entry stale. A hit costs no hop to a worker thread and no read.

On Neo4j several processes share the graph and no local counter sees another's writes; a
cross-process stamp would still cost a round trip per request and be only as safe as every
writer's discipline in bumping it. So on Neo4j nothing is cached: each request
authenticates against the graph, and another process's revoke is seen at once.

Entries are bounded in number (least recently used dropped first) and in age: they end at
the token's own expiry, and after `MAX_AGE` seconds, so the once-a-minute `last_used_at`
record still happens for a token in steady use.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol, cast

from broker import Services
from graph import Node

MAX_ENTRIES = 10_000
MAX_AGE = 30.0


class _CountsChanges(Protocol):
    @property
    def changes(self) -> int: ...


@dataclass(frozen=True)
class _Entry:
    viewer: Node
    changes: int  # the graph's change count read before `authenticate` ran
    until: float


class TokenCache:
    def __init__(self, store: _CountsChanges, *, size: int = MAX_ENTRIES) -> None:
        self._store = store
        self._size = size
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def changes(self) -> int:
        """The graph's change count now: read it before authenticating, for `remember`."""
        return self._store.changes

    def viewer(self, token: str, now: float) -> Node | None:
        """The viewer remembered for `token`, if nothing changed since; else None."""
        digest = _digest(token)
        with self._lock:
            entry = self._entries.get(digest)
            if entry is None:
                return None
            if entry.changes != self._store.changes or now >= entry.until:
                del self._entries[digest]
                return None
            self._entries.move_to_end(digest)
            return entry.viewer

    def remember(self, token: str, viewer: Node, *, changes: int, now: float) -> None:
        """Keep `viewer` for `token`, as authenticated when the graph's count was `changes`."""
        expires_at = getattr(viewer, "expires_at", None)  # the token's, on a TokenUser
        until = now + MAX_AGE if expires_at is None else min(now + MAX_AGE, float(expires_at))
        digest = _digest(token)
        with self._lock:
            self._entries[digest] = _Entry(viewer, changes, until)
            self._entries.move_to_end(digest)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)

    def serves(self, store: object) -> bool:
        return self._store is store


def _digest(token: str) -> str:
    # only a key into this process's memory: the raw token is never kept
    return hashlib.sha256(token.encode()).hexdigest()


# One cache per running Keyturn (its services), as the rate limiter keeps one per services.
_caches: dict[int, TokenCache | None] = {}
_made = threading.Lock()


def token_cache_for(services: Services) -> TokenCache | None:
    """The services' token cache; None where the graph cannot say it is unchanged (Neo4j)."""
    store = services.store
    with _made:
        known = id(services) in _caches
        cache = _caches.get(id(services))
        if not known or (cache is not None and not cache.serves(store)):
            counts = isinstance(getattr(store, "changes", None), int)
            cache = TokenCache(cast(_CountsChanges, store)) if counts else None
            if not known:
                weakref.finalize(services, _caches.pop, id(services), None)
            _caches[id(services)] = cache
        return cache
