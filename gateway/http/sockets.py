"""The open subscription connections (websockets and HTTP streams) and the live subscriptions
each tenant holds: the registry behind the SOCKETS and SUBSCRIPTIONS app keys."""

from __future__ import annotations

import logging
import weakref
from collections import Counter
from typing import Protocol

from gateway.domain.auth import KeyLookup
from gateway.errors import RateLimited
from gateway.observability.metrics import LIVE_SUBSCRIPTIONS
from gateway.schema.context import LiveConnection

__all__ = ["FORBIDDEN", "Live", "Sockets", "TenantSubscriptions"]

log = logging.getLogger("gateway.http.sockets")


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
