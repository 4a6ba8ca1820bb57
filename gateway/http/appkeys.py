"""The typed keys under which the application and each request keep their state."""

from __future__ import annotations

import logging
import weakref
from collections import Counter
from typing import Protocol

from aiohttp import web

from gateway.config.settings import Settings
from gateway.domain.auth import KeyLookup, Principal
from gateway.errors import RateLimited
from gateway.http.cache import ResponseCache
from gateway.http.clients import AnonymousGate
from gateway.http.compression import StaticAssets
from gateway.http.ratelimit import RateLimiter
from gateway.http.reload import CONFIGURATION
from gateway.http.shared import RedisChanges, RedisRateLimiter
from gateway.observability.metrics import LIVE_SUBSCRIPTIONS
from gateway.providers.native.store import Store
from gateway.providers.versions import TenantVersions
from gateway.schema.context import Clock, LiveConnection
from gateway.schema.persisted import PersistedQueries
from gateway.schema.questions import LiveQuestions

__all__ = [
    "ANONYMOUS",
    "ASSETS",
    "CACHE",
    "CHANGES",
    "CLOCK",
    "CONFIGURATION",
    "KEYS",
    "LIMITER",
    "PERSISTED",
    "PRINCIPAL",
    "QUESTIONS",
    "REQUEST_ID",
    "SETTINGS",
    "SHARED_LIMITER",
    "SOCKETS",
    "STORE",
    "SUBSCRIPTIONS",
    "VERSIONS",
    "TenantSubscriptions",
]

log = logging.getLogger("gateway.sockets")

STORE = web.AppKey("store", Store)
KEYS = web.AppKey("keys", KeyLookup)
CLOCK: web.AppKey[Clock] = web.AppKey("clock")
SETTINGS = web.AppKey("settings", Settings)
CACHE = web.AppKey("cache", ResponseCache)
LIMITER = web.AppKey("limiter", RateLimiter)
# Set when GATEWAY_REDIS_URL is: rate limits shared by every replica.
SHARED_LIMITER = web.AppKey("shared_limiter", RedisRateLimiter)
CHANGES = web.AppKey("changes", RedisChanges)
VERSIONS = web.AppKey("versions", TenantVersions)
QUESTIONS = web.AppKey("questions", LiveQuestions)
ANONYMOUS = web.AppKey("anonymous", AnonymousGate)
PERSISTED = web.AppKey("persisted", PersistedQueries)
ASSETS = web.AppKey("assets", StaticAssets)  # static files, compressed once

# A socket whose key was revoked (or is no longer known) closes with this, as graphql-ws says.
FORBIDDEN = 4403


class Live(Protocol):
    """A connection that carries subscriptions: a websocket, or a stream over HTTP."""

    @property
    def closed(self) -> bool: ...

    async def close(self, *, code: int = ..., message: bytes = ...) -> bool: ...


class Sockets:
    """The open subscription connections (websockets and HTTP streams) and who authenticated
    on each: they close with the app, close when their key stops being valid, and are counted
    per key."""

    def __init__(self) -> None:
        self._open: weakref.WeakKeyDictionary[Live, LiveConnection] = weakref.WeakKeyDictionary()

    def add(self, socket: Live, connection: LiveConnection) -> None:
        self._open[socket] = connection

    def held_by(self, key_handle: str) -> int:
        """How many open sockets a key has authenticated."""
        return sum(
            1
            for socket, connection in list(self._open.items())
            if not socket.closed
            and connection.principal is not None
            and connection.principal.key_handle == key_handle
        )

    async def close(self, connection: LiveConnection, code: int, reason: str) -> None:
        for socket, held in list(self._open.items()):
            if held is connection:
                await socket.close(code=code, message=reason.encode())

    async def reauthenticate(self, keys: KeyLookup) -> int:
        """Look every socket's key up again; close those whose key no longer authenticates.
        Returns how many closed."""
        closed = 0
        for socket, connection in list(self._open.items()):
            if connection.credential_hash is None or socket.closed:
                continue
            try:
                principal = await keys.find_active_key(connection.credential_hash)
            except Exception as error:  # the store is away: the next change looks again
                log.warning("could not check the sockets' keys again: %s", error)
                return closed
            if principal is None:
                await socket.close(code=FORBIDDEN, message=b"the key was revoked")
                closed += 1
        return closed

    async def close_all(self, code: int, message: bytes) -> None:
        for socket in list(self._open):
            await socket.close(code=code, message=message)


class TenantSubscriptions:
    """The live subscriptions each tenant holds in this process, over every transport (each
    `subscribe` on a socket, each stream over HTTP): every one of them re-reads when its
    tenant's data changes, so a tenant's count bounds what its changes cost every tenant.
    Taken as a subscription is admitted and given back however it ends."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._held: Counter[str] = Counter()

    def take(self, tenant: str) -> RateLimited | None:
        """One more for `tenant`; or the refusal, when it holds its limit already."""
        if self._held[tenant] >= self.limit:
            return RateLimited(
                f"a tenant may hold {self.limit} live subscriptions at once; end one first",
                limit="maxSubscriptionsPerTenant",
            )
        self._held[tenant] += 1
        LIVE_SUBSCRIPTIONS.inc()
        return None

    def release(self, tenant: str) -> None:
        LIVE_SUBSCRIPTIONS.dec()
        self._held[tenant] -= 1
        if self._held[tenant] <= 0:
            del self._held[tenant]

    def held_by(self, tenant: str) -> int:
        return self._held[tenant]


SOCKETS = web.AppKey("sockets", Sockets)
SUBSCRIPTIONS = web.AppKey("subscriptions", TenantSubscriptions)
REQUEST_ID = web.RequestKey("request_id", str)
PRINCIPAL = web.RequestKey("principal", Principal)
