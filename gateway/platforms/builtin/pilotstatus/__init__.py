"""Pilot Status: WhatsApp number dashboards, each number with its own number-scoped key."""

from __future__ import annotations

from typing import ClassVar

from gateway.config.sources import UpstreamSource
from gateway.platforms.api import Answers, Credentials, Platform
from gateway.platforms.builtin.pilotstatus.events import WEBHOOKS
from gateway.platforms.builtin.pilotstatus.provider import PilotStatusProvider
from gateway.providers.upstream import UpstreamClient

__all__ = ["PLATFORM", "PilotStatusSource"]


class PilotStatusSource(UpstreamSource):
    default_auth: ClassVar[tuple[str, str]] = ("x-api-key", "")


def _provider(client: UpstreamClient, credentials: Credentials) -> PilotStatusProvider:
    return PilotStatusProvider(client, dict(credentials.secrets), dict(credentials.numbers))


PLATFORM = Platform(
    name="pilotstatus",
    version="1.0.0",
    package="analytics-gateway",
    title="Pilot Status (WhatsApp numbers)",
    answers=(Answers("WhatsAppNumber.dashboard"),),
    source_model=PilotStatusSource,
    provider=_provider,
    webhooks=WEBHOOKS,
    notes={"WhatsAppNumber.dashboard": "periods only: a custom range is not asked of it"},
)
