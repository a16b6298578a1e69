"""Per-caller token buckets: a minute's burst, steady refill on the injected clock, a
stricter bucket for access requests, and a refusal that says when to retry."""

from __future__ import annotations

from api.graphql.rate_limit import RateLimiter, RateSettings
from tests.support.clock import ManualClock


def test_a_caller_past_the_write_limit_is_told_when_to_retry_and_others_are_not_slowed() -> None:
    clock = ManualClock(start=1000.0)
    limiter = RateLimiter(RateSettings(writes_per_minute=3, requests_per_minute=3), clock)
    assert [limiter.check("a@x", ["saveBundle"]) for _ in range(3)] == [None] * 3
    refused = limiter.check("a@x", ["saveBundle"])
    assert refused is not None
    assert refused.message == "too many changes from `a@x` in the last minute: try again in 20 s"
    assert refused.extensions == {"code": "rate_limited", "retryAfterSeconds": 20}
    assert limiter.check("b@x", ["saveBundle"]) is None
    clock.advance(20)
    assert limiter.check("a@x", ["saveBundle"]) is None
    assert limiter.check("a@x", ["saveBundle"]) is not None


def test_access_requests_have_their_own_stricter_limit() -> None:
    clock = ManualClock(start=1000.0)
    limiter = RateLimiter(RateSettings(writes_per_minute=10, requests_per_minute=2), clock)
    assert limiter.check("a@x", ["requestAccess"]) is None
    assert limiter.check("a@x", ["requestBundle"]) is None
    refused = limiter.check("a@x", ["requestAccess"])
    assert refused is not None
    assert refused.message == (
        "too many access requests from `a@x` in the last minute: try again in 30 s"
    )
    # The refused request did not use up a write: eight other changes still pass.
    assert [limiter.check("a@x", ["cancelRequest"]) for _ in range(8)] == [None] * 8
    assert limiter.check("a@x", ["cancelRequest"]) is not None
