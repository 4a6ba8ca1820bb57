"""How many connections one client address may hold open: one more is closed as it opens."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from typing import Any

from aiohttp import web

from gateway.clients import address_bucket

__all__ = ["guard_connections"]

log = logging.getLogger("gateway.connections")


def guard_connections(server: web.Server, limit: int) -> None:
    """Count `server`'s connections by address and close any over `limit` (0: no bound).
    aiohttp tells its server of each connection through these two methods, so they are wrapped
    on this one server rather than replaced for every server."""
    if limit <= 0:
        return
    held: dict[object, str] = {}
    counts: Counter[str] = Counter()
    made, lost = server.connection_made, server.connection_lost

    def connection_made(handler: Any, transport: asyncio.Transport) -> None:
        made(handler, transport)
        peer = transport.get_extra_info("peername")
        address = address_bucket(str(peer[0])) if peer else ""
        if counts[address] >= limit:
            log.warning("closed a connection from %s: it holds %d already", address, limit)
            transport.close()
            return
        counts[address] += 1
        held[handler] = address

    def connection_lost(handler: Any, exc: BaseException | None = None) -> None:
        lost(handler, exc)
        address = held.pop(handler, None)
        if address is not None:
            counts[address] -= 1
            if counts[address] <= 0:
                del counts[address]

    server.connection_made = connection_made  # type: ignore[method-assign]
    server.connection_lost = connection_lost  # type: ignore[method-assign]
