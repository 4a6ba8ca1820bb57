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
from gateway.http.compat import adopt, handler_of

__all__ = ["harden"]

log = logging.getLogger("gateway.http.connections")


class _GuardedHandler(RequestHandler):
    """A connection of the hardened server: a request aiohttp's parser refuses (a line too
    long, a malformed header) is answered with the gateway's typed JSON and logged in one line,
    not with a traceback: anyone can send these, as often as they like."""

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
    """Each connection counted against its address as it opens (and closed at once over the
    bound) through the server's own connection hooks, and handled by a _GuardedHandler."""

    max_per_address = 0

    def __call__(self) -> RequestHandler:
        return handler_of(self, _GuardedHandler)

    def connection_made(self, handler: RequestHandler, transport: asyncio.Transport) -> None:
        super().connection_made(handler, transport)
        if not self._admit(handler, transport):
            # Once the handler has started (its task is already scheduled), as it closes any
            # connection it refuses.
            asyncio.get_running_loop().call_soon(handler.force_close)

    def connection_lost(self, handler: RequestHandler, exc: BaseException | None = None) -> None:
        self._release(handler)
        super().connection_lost(handler, exc)

    def _admit(self, handler: RequestHandler, transport: asyncio.BaseTransport) -> bool:
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

    def _release(self, handler: RequestHandler) -> None:
        address = self.__dict__.get("_held", {}).pop(handler, None)
        if address is not None:
            counts: Counter[str] = self.__dict__["_per_address"]
            counts[address] -= 1
            if counts[address] <= 0:
                del counts[address]


def harden(server: web.Server, max_per_address: int) -> None:
    """Give `server` typed answers to malformed requests, and a bound of `max_per_address`
    open connections per client address (0: none). aiohttp builds its server inside the
    runner, so the server built there is adopted as a _HardenedServer here."""
    adopt(server, _HardenedServer).max_per_address = max_per_address
