"""Exponential backoff with jitter, shared by notification delivery and revocation retries."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    max_attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 60.0

    def delay(self, attempt: int) -> float:
        """Seconds before try `attempt + 1`: doubling from `base_delay`, jittered downwards."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** max(0, attempt - 1))
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not security
