"""Per-caller rate limits on changes: a token bucket per caller, on the services' clock.

Every mutation takes a token from the caller's `writes` bucket; requesting access (one
request, or a bundle's) also takes one from the stricter `requests` bucket. A bucket holds a
minute's worth and refills steadily, so a burst is allowed and a flood is not.
"""

from __future__ import annotations

import math
import os
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass

from graphql import GraphQLError

from broker import Services

WRITES_PER_MINUTE = 120
REQUESTS_PER_MINUTE = 30
REQUEST_FIELDS = frozenset({"requestAccess", "requestBundle"})
_MAX_CALLERS = 100_000  # buckets kept at most; full ones are dropped first


@dataclass(frozen=True)
class RateSettings:
    writes_per_minute: int = WRITES_PER_MINUTE
    requests_per_minute: int = REQUESTS_PER_MINUTE

    @classmethod
    def from_env(cls) -> RateSettings:
        return cls(
            writes_per_minute=int(
                os.environ.get("KEYTURN_RATE_WRITES_PER_MINUTE", WRITES_PER_MINUTE)
            ),
            requests_per_minute=int(
                os.environ.get("KEYTURN_RATE_REQUESTS_PER_MINUTE", REQUESTS_PER_MINUTE)
            ),
        )


@dataclass
class _Bucket:
    tokens: float
    at: float


class _Buckets:
    def __init__(self, per_minute: int, clock: Callable[[], float]) -> None:
        self._capacity = float(per_minute)
        self._rate = per_minute / 60.0
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}

    def take(self, caller: str) -> float:
        """Take one token; 0 when taken, else the seconds until one is there."""
        now = self._clock()
        bucket = self._buckets.get(caller) or _Bucket(self._capacity, now)
        bucket.tokens = min(self._capacity, bucket.tokens + (now - bucket.at) * self._rate)
        bucket.at = now
        self._buckets[caller] = bucket
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        if self._rate <= 0:
            return math.inf
        return (1 - bucket.tokens) / self._rate

    def give_back(self, caller: str) -> None:
        self._buckets[caller].tokens += 1

    def prune(self) -> None:
        if len(self._buckets) > _MAX_CALLERS:
            self._buckets = {k: b for k, b in self._buckets.items() if b.tokens < self._capacity}


class RateLimiter:
    def __init__(self, settings: RateSettings, clock: Callable[[], float]) -> None:
        self._writes = _Buckets(settings.writes_per_minute, clock)
        self._requests = _Buckets(settings.requests_per_minute, clock)
        self._lock = threading.Lock()

    def check(self, caller: str, fields: list[str]) -> GraphQLError | None:
        """Charge `caller` for a mutation of `fields`; the refusal when over a limit."""
        with self._lock:
            wait = self._writes.take(caller)
            what = "changes"
            if not wait and REQUEST_FIELDS.intersection(fields):
                wait = self._requests.take(caller)
                what = "access requests"
                if wait:
                    self._writes.give_back(caller)
            self._writes.prune()
            self._requests.prune()
        if not wait:
            return None
        seconds = math.ceil(wait) if math.isfinite(wait) else None
        when = f"in {seconds} s" if seconds is not None else "once an admin raises the limit"
        return GraphQLError(
            f"too many {what} from `{caller}` in the last minute: try again {when}",
            extensions={"code": "rate_limited", "retryAfterSeconds": seconds},
        )


# One limiter per running Keyturn (its services), so two apps in one process share nothing.
_limiters: dict[int, RateLimiter] = {}
_made = threading.Lock()


def limiter_for(services: Services) -> RateLimiter:
    with _made:
        found = _limiters.get(id(services))
        if found is None:
            owner = weakref.ref(services)  # the limiter must not keep its services alive
            found = RateLimiter(RateSettings.from_env(), lambda: _now(owner))
            _limiters[id(services)] = found
            weakref.finalize(services, _limiters.pop, id(services), None)
        return found


def _now(owner: weakref.ref[Services]) -> float:
    services = owner()
    return services.clock() if services is not None else 0.0
