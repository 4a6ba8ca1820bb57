"""Configuration: GATEWAY_* settings and the sources file. Imports no store and no aiohttp."""

from gateway.config.settings import Settings, StoreUrlError, load_settings, store_url
from gateway.config.sources import SourcesConfig, SourcesError, load_sources

__all__ = [
    "Settings",
    "SourcesConfig",
    "SourcesError",
    "StoreUrlError",
    "load_settings",
    "load_sources",
    "store_url",
]
