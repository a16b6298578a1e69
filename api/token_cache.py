"""API tokens answered from memory on the embedded graph, exact to the last write.

`broker.authenticate` decides, always: this only remembers what it answered for a token and
hands that back while none of the nodes that answer was read from (`TokenUser.read_from`:
the token and its owner) has changed since. The embedded graph lives in this one process
and stamps each node with the change that last touched it (`EmbeddedStore.unchanged_since`),
so a revoked token, a changed role or a disabled owner is seen on the very next request,
while the writes everyone else makes (requests, grants, the audit log) leave the entry be:
counting any write as a change made every entry stale under write load, and each
`requestAccess` then authenticated again, off the event loop.

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
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, cast

from broker import Services
from graph import Node, NodeRef

MAX_ENTRIES = 10_000
MAX_AGE = 30.0


class _StampsNodes(Protocol):
    @property
    def changes(self) -> int: ...

    def unchanged_since(self, refs: Iterable[NodeRef], changes: int) -> bool: ...


@dataclass(frozen=True)
class _Entry:
    viewer: Node
    read_from: tuple[NodeRef, ...]
    changes: int  # the graph's change count read before `authenticate` ran
    until: float


class TokenCache:
    def __init__(self, store: _StampsNodes, *, size: int = MAX_ENTRIES) -> None:
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
            fresh = self._store.unchanged_since(entry.read_from, entry.changes)
            if not fresh or now >= entry.until:
                del self._entries[digest]
                return None
            self._entries.move_to_end(digest)
            return entry.viewer

    def remember(self, token: str, viewer: Node, *, changes: int, now: float) -> None:
        """Keep `viewer` for `token`, as authenticated when the graph's count was `changes`;
        an answer that does not say which nodes it was read from is not kept."""
        read_from = tuple(getattr(viewer, "read_from", ()))
        if not read_from:
            return
        expires_at = getattr(viewer, "expires_at", None)  # the token's, on a TokenUser
        until = now + MAX_AGE if expires_at is None else min(now + MAX_AGE, float(expires_at))
        digest = _digest(token)
        with self._lock:
            self._entries[digest] = _Entry(viewer, read_from, changes, until)
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
            stamps = callable(getattr(store, "unchanged_since", None))
            cache = TokenCache(cast(_StampsNodes, store)) if stamps else None
            if not known:
                weakref.finalize(services, _caches.pop, id(services), None)
            _caches[id(services)] = cache
        return cache
