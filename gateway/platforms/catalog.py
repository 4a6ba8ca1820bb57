"""The installed platforms: loaded from their entry points, each on its own, so that one whose
import fails is reported unavailable (with why) and the gateway starts without it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points

from gateway.config.sources import UpstreamSource
from gateway.domain.platform_events import GATEWAY_EVENTS, WebhookShapes
from gateway.platforms.api import ENTRY_POINTS, Platform

__all__ = ["KNOWN_PACKAGES", "Platforms", "Unavailable", "load_platforms"]

log = logging.getLogger("gateway.platforms")

# Platforms published as their own packages, so that a sources file naming one that is not
# installed is told what to install.
KNOWN_PACKAGES = {
    "sendgrid": "analytics-gateway-sendgrid (examples/platforms/sendgrid in the repository)"
}


@dataclass(frozen=True)
class Unavailable:
    """An installed platform that cannot be used: its entry point, package and why not."""

    name: str
    package: str
    reason: str


class Platforms:
    """The platforms found, by name, and those installed but unavailable."""

    def __init__(
        self, available: dict[str, Platform], unavailable: dict[str, Unavailable] | None = None
    ) -> None:
        self.available = dict(sorted(available.items()))
        self.broken = dict(sorted((unavailable or {}).items()))

    def get(self, name: str) -> Platform | None:
        return self.available.get(name)

    def source_model(self, platform: str) -> type[UpstreamSource] | None:
        found = self.available.get(platform)
        return None if found is None else found.source_model

    def answers_area(self, platform: str, area: str) -> bool:
        found = self.available.get(platform)
        return found is not None and area in found.areas

    def unavailable(self, platform: str) -> bool:
        return platform in self.broken

    def why_missing(self, platform: str) -> str:
        if platform in self.broken:
            return f"is installed but unavailable: {self.broken[platform].reason}"
        if platform in KNOWN_PACKAGES:
            return f"is not installed: pip install {KNOWN_PACKAGES[platform]}"
        installed = ", ".join(self.available) or "none"
        return f"is not installed (installed: {installed})"

    def webhooks(self, name: str) -> WebhookShapes | None:
        """The webhook shapes of the platform whose webhook sources are named `name`."""
        if name == GATEWAY_EVENTS.platform:
            return GATEWAY_EVENTS
        for platform in self.available.values():
            if platform.webhooks is not None and platform.webhooks.platform == name:
                return platform.webhooks
        return None

    def webhook_platforms(self) -> list[str]:
        names = [p.webhooks.platform for p in self.available.values() if p.webhooks is not None]
        return [*names, GATEWAY_EVENTS.platform]


def _package(point: EntryPoint) -> str:
    return point.dist.name if point.dist is not None else "?"


def load_platforms(group: str = ENTRY_POINTS) -> Platforms:
    """Every platform whose entry point is installed; the first of two with one name wins."""
    available: dict[str, Platform] = {}
    broken: dict[str, Unavailable] = {}
    for point in entry_points(group=group):
        if point.name in available:
            continue
        try:
            platform = point.load()
            if not isinstance(platform, Platform):
                raise TypeError(f"{point.value} is not a gateway.platforms.Platform")
            if platform.name != point.name:
                raise ValueError(f"its entry point is {point.name!r}, its name {platform.name!r}")
        except Exception as error:  # a plugin's failure is its own: report it, carry on
            reason = f"{type(error).__name__}: {error}"[:300]
            log.error("platform %s is unavailable: %s", point.name, reason)
            broken[point.name] = Unavailable(point.name, _package(point), reason)
            continue
        broken.pop(point.name, None)
        available[point.name] = platform
    return Platforms(available, broken)
