"""The shared upstream client, one per configured source, and the sessions they share a life
with. Which adapter speaks to a source is its platform plugin's business (gateway.platforms)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp

from gateway.config.sources import SourcesConfig
from gateway.providers.upstream.base import UpstreamProvider, each
from gateway.providers.upstream.http import UpstreamClient

__all__ = ["NumberKeys", "UpstreamClient", "UpstreamProvider", "each", "upstream_clients"]

# (tenant, number id) -> (secret, whether it is a key id rather than a key), per source name
NumberKeys = dict[str, dict[tuple[str, int], tuple[str, bool]]]


@asynccontextmanager
async def upstream_clients(config: SourcesConfig) -> AsyncIterator[dict[str, UpstreamClient]]:
    """A client per configured source, each over its own ClientSession, all closed on exit."""
    sessions: list[aiohttp.ClientSession] = []
    clients: dict[str, UpstreamClient] = {}
    try:
        for name, source in config.sources.items():
            session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=source.max_concurrency),
                headers={"user-agent": "analytics-gateway"},
            )
            sessions.append(session)
            clients[name] = UpstreamClient(name, source, session)
        yield clients
    finally:
        for session in sessions:
            await session.close()
