"""State shared by replicas through Redis (GATEWAY_REDIS_URL): per-key rate limits that hold
across every gateway process, and word of ingest, so that a webhook taken by one replica drops
the cached answers of every other and wakes their live subscriptions at once. Without Redis,
each process counts for itself (gateway.http.ratelimit) and learns of changes from the store.

The token bucket lives in Redis as a hash per key and is taken in one Lua script, so that the
processes never race each other, and the time is Redis's own, so that their clocks need not
agree.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import redis.asyncio as redis

from gateway.http.ratelimit import RateLimiter

__all__ = ["CHANNEL", "RedisChanges", "RedisRateLimiter", "SharedStateError"]

CHANNEL = "gateway:tenant-moved"

log = logging.getLogger("gateway.http.shared")

# KEYS[1] the bucket; ARGV: rate per second, burst, tokens to take. Answers the seconds to wait
# (0 when taken), as a string: Redis turns Lua numbers into integers.
_TAKE = """
local rate, burst, want = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(state[1]), tonumber(state[2])
if tokens == nil then tokens, at = burst, now end
tokens = math.min(burst, tokens + (now - at) * rate)
local wait = 0
if tokens >= want then tokens = tokens - want else wait = (want - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 60)
return tostring(wait)
"""


# The same bucket, looked at without taking: the seconds until one request could go.
_PEEK = """
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(state[1]), tonumber(state[2])
if tokens == nil then return '0' end
tokens = math.min(burst, tokens + (now - at) * rate)
if tokens >= 1 then return '0' end
return tostring((1 - tokens) / rate)
"""


class SharedStateError(Exception):
    """The shared state the settings name cannot be reached."""


class RedisRateLimiter:
    """The same buckets as RateLimiter (its rates, bursts and overrides), kept in Redis."""

    def __init__(self, local: RateLimiter, client: redis.Redis, prefix: str = "rate") -> None:
        self.local = local
        self.client = client
        self.prefix = prefix
        self._take: Any = client.register_script(_TAKE)
        self._peek: Any = client.register_script(_PEEK)

    @classmethod
    def connect(cls, local: RateLimiter, url: str) -> RedisRateLimiter:
        return cls(local, redis.Redis.from_url(url))

    def beside(self, local: RateLimiter, prefix: str) -> RedisRateLimiter:
        """Other buckets on the same Redis connection, under their own names and rates."""
        return RedisRateLimiter(local, self.client, prefix)

    async def take(self, tenant_id: str, key_handle: str, count: int = 1) -> float:
        rate = self.local.rate_for(tenant_id, key_handle)
        if rate <= 0:
            return 0.0
        burst = max(self.local.burst, 1)
        want = min(max(count, 1), burst)
        try:
            wait = await self._take(
                keys=[f"gateway:{self.prefix}:{key_handle}"], args=[rate, burst, want]
            )
        except redis.RedisError:
            # Redis unreachable: this process counts alone until it is back.
            log.warning("rate limits counted in this process: Redis did not answer")
            return self.local.take(tenant_id, key_handle, count)
        return float(wait)

    async def peek(self, tenant_id: str, key_handle: str) -> float:
        rate = self.local.rate_for(tenant_id, key_handle)
        if rate <= 0:
            return 0.0
        try:
            wait = await self._peek(
                keys=[f"gateway:{self.prefix}:{key_handle}"], args=[rate, max(self.local.burst, 1)]
            )
        except redis.RedisError:
            return self.local.peek(tenant_id, key_handle)
        return float(wait)

    async def ping(self) -> None:
        """Whether Redis answers; SharedStateError, in one line, when it does not."""
        try:
            await self.client.ping()  # type: ignore[misc]  # redis-py types it for both clients
        except (redis.RedisError, OSError) as error:
            raise SharedStateError(f"Redis (GATEWAY_REDIS_URL) does not answer: {error}") from None

    async def close(self) -> None:
        await self.client.aclose()


class RedisChanges:
    """Tenants whose data moved, told to every replica over one pub/sub channel."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    async def publish(self, tenant_id: str) -> None:
        try:
            await self.client.publish(CHANNEL, tenant_id)
        except redis.RedisError:
            # The store still says so, at the next look of each replica's store watch.
            log.warning("could not tell the other replicas that %s moved", tenant_id)

    async def listen(self, moved: Callable[[str], None]) -> None:
        """Call `moved(tenant_id)` for each tenant another replica (or this one) announces; runs
        until cancelled, reconnecting when Redis comes back."""
        while True:
            try:
                async with self.client.pubsub() as channel:
                    await channel.subscribe(CHANNEL)
                    async for message in channel.listen():
                        if message.get("type") == "message":
                            data = message["data"]
                            moved(data.decode() if isinstance(data, bytes) else str(data))
            except redis.RedisError:
                log.warning("lost the replicas' change channel; trying again in 1 s")
                await asyncio.sleep(1)
