"""The typed keys under which the application and each request keep their state."""

from __future__ import annotations

import weakref

from aiohttp import web

from gateway.auth import KeyLookup, Principal
from gateway.cache import ResponseCache, TenantVersions
from gateway.context import Clock
from gateway.providers.base import ProviderRegistry
from gateway.providers.native.store import Store
from gateway.ratelimit import RateLimiter
from gateway.settings import Settings
from gateway.shared import RedisChanges, RedisRateLimiter

__all__ = [
    "CACHE",
    "CHANGES",
    "CLOCK",
    "KEYS",
    "LIMITER",
    "PRINCIPAL",
    "REGISTRY",
    "REQUEST_ID",
    "SETTINGS",
    "SHARED_LIMITER",
    "SOCKETS",
    "SOURCE_TTLS",
    "STORE",
    "VERSIONS",
]

STORE = web.AppKey("store", Store)
REGISTRY = web.AppKey("registry", ProviderRegistry)
KEYS = web.AppKey("keys", KeyLookup)
CLOCK: web.AppKey[Clock] = web.AppKey("clock")
SETTINGS = web.AppKey("settings", Settings)
CACHE = web.AppKey("cache", ResponseCache)
LIMITER = web.AppKey("limiter", RateLimiter)
# Set when GATEWAY_REDIS_URL is: rate limits shared by every replica.
SHARED_LIMITER = web.AppKey("shared_limiter", RedisRateLimiter)
CHANGES = web.AppKey("changes", RedisChanges)
VERSIONS = web.AppKey("versions", TenantVersions)
SOURCE_TTLS: web.AppKey[dict[str, float]] = web.AppKey("source_ttls")


class Sockets:
    """The open subscription sockets, so that they close with the app."""

    def __init__(self) -> None:
        self._open: weakref.WeakSet[web.WebSocketResponse] = weakref.WeakSet()

    def add(self, socket: web.WebSocketResponse) -> None:
        self._open.add(socket)

    async def close_all(self, code: int, message: bytes) -> None:
        for socket in list(self._open):
            await socket.close(code=code, message=message)


SOCKETS = web.AppKey("sockets", Sockets)
REQUEST_ID = web.RequestKey("request_id", str)
PRINCIPAL = web.RequestKey("principal", Principal)
