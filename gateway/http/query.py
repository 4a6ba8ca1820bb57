"""The HTTP side of `gateway query`: one request to a running gateway, or to one started in this
process, on a free loopback port, for the one request."""

from __future__ import annotations

from typing import Any

import aiohttp
from aiohttp import web

from gateway.config.settings import Settings
from gateway.http.app import create_app

__all__ = ["ask", "ask_in_process"]


async def ask(
    url: str, key: str | None, document: str, variables: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    headers = {"x-api-key": key} if key else {}
    payload = {"query": document, "variables": variables}
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json=payload, headers=headers) as response,
    ):
        answer: dict[str, Any] = await response.json(content_type=None)
        return response.status, answer


async def ask_in_process(
    settings: Settings, key: str | None, document: str, variables: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    """The same request, to a gateway on the store of `settings` started here on a free
    loopback port for it, then stopped."""
    runner = web.AppRunner(create_app(settings), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        return await ask(f"http://{host}:{port}/graphql", key, document, variables)
    finally:
        await runner.cleanup()
