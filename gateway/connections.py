"""The server's own protection, below the routes: how many connections one client address may
hold open, and typed, one-line answers to requests that are not even HTTP."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from gateway.clients import address_bucket

__all__ = ["harden"]

log = logging.getLogger("gateway.connections")


class _TypedErrors(RequestHandler):
    """A request aiohttp's parser refuses (a line too long, a malformed header) is answered
    with the gateway's typed JSON and logged in one line, not with a traceback: anyone can send
    these, as often as they like."""

    def handle_error(
        self,
        request: Any,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if status >= 500:
            return super().handle_error(request, status, exc, message)
        reason = getattr(exc, "message", None) or message or "malformed HTTP request"
        log.warning("refused a malformed request from %s: %s", request.remote, str(reason)[:200])
        response = web.json_response(
            {"error": f"malformed HTTP request: {str(reason)[:200]}", "code": "BAD_USER_INPUT"},
            status=status,
        )
        response.force_close()
        return response


class _HardenedServer(web.Server):
    def __call__(self) -> RequestHandler:
        return _TypedErrors(self, loop=self._loop, **self._kwargs)


def harden(server: web.Server, max_per_address: int) -> None:
    """Give `server` typed answers to malformed requests, and close any connection over
    `max_per_address` from one address (0: no bound). aiohttp builds its server inside the
    runner, so the server is given its subclass and its two connection hooks wrapped here."""
    server.__class__ = _HardenedServer
    if max_per_address <= 0:
        return
    held: dict[object, str] = {}
    counts: Counter[str] = Counter()
    made, lost = server.connection_made, server.connection_lost

    def connection_made(handler: Any, transport: asyncio.Transport) -> None:
        made(handler, transport)
        peer = transport.get_extra_info("peername")
        address = address_bucket(str(peer[0])) if peer else ""
        if counts[address] >= max_per_address:
            log.warning("closed a connection from %s: it holds %d", address, max_per_address)
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
