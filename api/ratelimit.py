"""Token buckets per trader and per client IP (per API instance)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from prometheus_client import Counter

LIMITED = Counter("brokerage_api_rate_limited_total", "Requests refused with 429", ["scope"])
MAX_BUCKETS = 100_000  # bounded memory: idle buckets are full anyway and can be forgotten


@dataclass(slots=True)
class Bucket:
    tokens: float
    at: float


class TokenBuckets:
    def __init__(self, rate: float, burst: int, scope: str) -> None:
        self.rate, self.burst, self.scope = rate, burst, scope
        self._buckets: dict[str, Bucket] = {}

    def take(self, key: str, now: float | None = None) -> float:
        """Take one token; return 0 if allowed, else the seconds until one is available."""
        now = time.monotonic() if now is None else now
        b = self._buckets.get(key)
        if b is None:
            if len(self._buckets) >= MAX_BUCKETS:
                self._buckets.clear()
            b = self._buckets[key] = Bucket(float(self.burst), now)
        b.tokens = min(self.burst, b.tokens + (now - b.at) * self.rate)
        b.at = now
        if b.tokens >= 1:
            b.tokens -= 1
            return 0.0
        LIMITED.labels(self.scope).inc()
        return (1 - b.tokens) / self.rate


def retry_after(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))
