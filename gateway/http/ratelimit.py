"""Token buckets per API key: each key may burst, then goes at its steady rate."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["RateLimiter"]


@dataclass
class Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """`rate` requests a second after a burst of `burst`; `overrides` give a tenant or a key
    (by tenant id or key handle) a rate of its own, the key's winning."""

    def __init__(
        self,
        rate: float,
        burst: int,
        overrides: dict[str, float] | None = None,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.overrides = overrides or {}
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, Bucket] = OrderedDict()

    def rate_for(self, tenant_id: str, key_handle: str) -> float:
        return self.overrides.get(key_handle, self.overrides.get(tenant_id, self.rate))

    def take(self, tenant_id: str, key_handle: str, count: int = 1) -> float:
        """0 when `count` requests (a batch's operations) may go; otherwise the seconds until
        they could. A batch counts at most a whole burst."""
        if not self.overrides and self.rate <= 0:
            return 0.0
        rate = self.rate_for(tenant_id, key_handle)
        if rate <= 0:
            return 0.0
        burst = max(self.burst, 1)
        now = self.clock()
        bucket = self._buckets.get(key_handle)
        if bucket is None:
            bucket = self._buckets[key_handle] = Bucket(float(burst), now)
            if len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key_handle)
            bucket.tokens = min(burst, bucket.tokens + (now - bucket.updated) * rate)
            bucket.updated = now
        need = min(max(count, 1), burst)
        if bucket.tokens >= need:
            bucket.tokens -= need
            return 0.0
        return (need - bucket.tokens) / rate

    def peek(self, tenant_id: str, key_handle: str) -> float:
        """0 when one request could go now, else the seconds until it could; takes nothing."""
        rate = self.rate_for(tenant_id, key_handle)
        bucket = self._buckets.get(key_handle)
        if rate <= 0 or bucket is None:
            return 0.0
        tokens = min(self.burst, bucket.tokens + (self.clock() - bucket.updated) * rate)
        return 0.0 if tokens >= 1 else (1 - tokens) / rate
