"""The server's own protection, below the routes: how many connections one client address may
hold open, and typed, one-line answers to requests that are not even HTTP."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from gateway.http.clients import address_bucket

__all__ = ["harden"]

log = logging.getLogger("gateway.http.connections")


class _GuardedHandler(RequestHandler):
    """A connection of the hardened server: counted against its address as it opens (and
    closed at once over the bound), and a request aiohttp's parser refuses (a line too long, a
    malformed header) is answered with the gateway's typed JSON and logged in one line, not with
    a traceback: anyone can send these, as often as they like."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        server = self._manager
        super().connection_made(transport)
        if isinstance(server, _HardenedServer) and not server.admit(self, transport):
            self.force_close()

    def connection_lost(self, exc: BaseException | None) -> None:
        if isinstance(self._manager, _HardenedServer):
            self._manager.release(self)
        super().connection_lost(exc)

    def handle_error(
        self,
        request: Any,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if status >= 500:
            return super().handle_error(request, status, exc, message)
        reason = str(getattr(exc, "message", None) or message or "malformed HTTP request")[:200]
        log.warning("refused a malformed request from %s: %s", request.remote, reason)
        response = web.json_response(
            {"error": f"malformed HTTP request: {reason}", "code": "BAD_USER_INPUT"},
            status=status,
        )
        response.force_close()
        return response


class _HardenedServer(web.Server):
    max_per_address = 0

    def __call__(self) -> RequestHandler:
        return _GuardedHandler(self, loop=self._loop, **self._kwargs)

    def admit(self, handler: RequestHandler, transport: asyncio.BaseTransport) -> bool:
        if self.max_per_address <= 0:
            return True
        counts: Counter[str] = self.__dict__.setdefault("_per_address", Counter())
        held: dict[RequestHandler, str] = self.__dict__.setdefault("_held", {})
        peer = transport.get_extra_info("peername")
        address = address_bucket(str(peer[0])) if peer else ""
        if counts[address] >= self.max_per_address:
            log.warning("closed a connection from %s: it holds %d", address, counts[address])
            return False
        counts[address] += 1
        held[handler] = address
        return True

    def release(self, handler: RequestHandler) -> None:
        address = self.__dict__.get("_held", {}).pop(handler, None)
        if address is not None:
            counts: Counter[str] = self.__dict__["_per_address"]
            counts[address] -= 1
            if counts[address] <= 0:
                del counts[address]


def harden(server: web.Server, max_per_address: int) -> None:
    """Give `server` typed answers to malformed requests, and a bound of `max_per_address`
    open connections per client address (0: none). aiohttp builds its server inside the
    runner, so the server built there is given the hardened class here."""
    server.__class__ = _HardenedServer
    assert isinstance(server, _HardenedServer)
    server.max_per_address = max_per_address
