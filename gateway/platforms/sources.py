"""A provider per configured source, built by its platform plugin over the shared client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from gateway.config.sources import SourcesConfig
from gateway.platforms.api import Credentials
from gateway.platforms.catalog import Platforms
from gateway.platforms.guard import DeclaredProvider, UnavailablePlatform
from gateway.providers.upstream import NumberKeys, UpstreamProvider, upstream_clients

__all__ = ["platform_providers"]


@asynccontextmanager
async def platform_providers(
    config: SourcesConfig,
    secrets: dict[tuple[str, str], str],
    number_keys: NumberKeys,
    platforms: Platforms,
) -> AsyncIterator[dict[str, UpstreamProvider]]:
    """Each source's adapter behind its platform's declaration; a source whose platform could
    not be loaded answers UPSTREAM_UNAVAILABLE, and the others are untouched by it."""
    async with upstream_clients(config) as clients:
        providers: dict[str, UpstreamProvider] = {}
        for name, client in clients.items():
            platform = platforms.get(client.config.platform)
            if platform is None:
                reason = platforms.why_missing(client.config.platform)
                providers[name] = UnavailablePlatform(client, client.config.platform, reason)
                continue
            credentials = Credentials(secrets, number_keys.get(name, {}))
            providers[name] = DeclaredProvider(platform, platform.provider(client, credentials))
        yield providers
