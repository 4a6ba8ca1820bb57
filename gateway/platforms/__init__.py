"""Platforms as plugins: the public API a platform package is written against (`api`), the
installed ones (`catalog`), and how the graph holds each source to its platform's word."""

from gateway.domain.platform_events import WebhookShapes
from gateway.platforms.api import (
    API_VERSION,
    ENTRY_POINTS,
    FIELDS,
    Answers,
    Credentials,
    GraphField,
    Platform,
    ProviderFactory,
)
from gateway.platforms.catalog import Platforms, Unavailable, load_platforms

__all__ = [
    "API_VERSION",
    "ENTRY_POINTS",
    "FIELDS",
    "Answers",
    "Credentials",
    "GraphField",
    "Platform",
    "Platforms",
    "ProviderFactory",
    "Unavailable",
    "WebhookShapes",
    "load_platforms",
]
