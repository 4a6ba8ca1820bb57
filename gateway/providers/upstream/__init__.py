"""Upstream REST adapters, one module per platform, and the sessions they share a life with."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp

from gateway.config.sources import SourcesConfig
from gateway.providers.upstream.base import UpstreamProvider
from gateway.providers.upstream.emailreports import EmailReportsProvider
from gateway.providers.upstream.http import UpstreamClient
from gateway.providers.upstream.messagesender import MessageSenderProvider
from gateway.providers.upstream.pilotstatus import PilotStatusProvider

__all__ = ["NumberKeys", "upstream_providers"]

# (tenant, number id) -> (secret, whether it is a key id rather than a key), per source name
NumberKeys = dict[str, dict[tuple[str, int], tuple[str, bool]]]


@asynccontextmanager
async def upstream_providers(
    config: SourcesConfig, secrets: dict[tuple[str, str], str], number_keys: NumberKeys
) -> AsyncIterator[dict[str, UpstreamProvider]]:
    """A provider per configured source, each over its own ClientSession, all closed on exit."""
    sessions: list[aiohttp.ClientSession] = []
    providers: dict[str, UpstreamProvider] = {}
    try:
        for name, source in config.sources.items():
            session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=source.max_concurrency),
                headers={"user-agent": "analytics-gateway"},
            )
            sessions.append(session)
            client = UpstreamClient(name, source, session)
            if source.platform == "pilotstatus":
                providers[name] = PilotStatusProvider(client, secrets, number_keys.get(name, {}))
            elif source.platform == "messagesender":
                providers[name] = MessageSenderProvider(client, secrets)
            else:
                providers[name] = EmailReportsProvider(client, secrets)
        yield providers
    finally:
        for session in sessions:
            await session.close()
