"""What every resolver gets in `info.context`: who is asking, the loaders, and the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from gateway.auth import KeyLookup, Principal
from gateway.cache import TenantVersions
from gateway.errors import Unauthenticated
from gateway.loaders import Loaders
from gateway.providers.base import ProviderRegistry

__all__ = ["Clock", "GatewayContext", "system_clock"]

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class GatewayContext:
    caller: Principal | None
    registry: ProviderRegistry
    request_id: str
    clock: Clock = system_clock
    versions: TenantVersions | None = None
    keys: KeyLookup | None = None
    deadline_seconds: float = 15.0
    connection_params: dict[str, object] | None = None
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.registry)

    def fresh_loaders(self) -> None:
        """New loaders, their caches empty: a live subscription reads again after a change."""
        self.loaders = Loaders(self.registry)

    @property
    def principal(self) -> Principal:
        # Only introspection runs without a key (the view checks), so this is a safety net.
        if self.caller is None:
            raise Unauthenticated("missing x-api-key (or x-api-key-id) header")
        return self.caller
