"""What a provider can answer. Every method is batch-first: one result per key, in key order,
with a failure for one key returned as that key's GatewayError rather than failing the batch."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from gateway.domain.numbers import DashboardRequest, NumberDashboard, NumberRef, WhatsAppNumber
from gateway.errors import GatewayError, NotFound

__all__ = ["NumberProvider", "ProviderRegistry"]


class NumberProvider(Protocol):
    """WhatsApp numbers and their dashboards."""

    async def load_numbers(
        self, refs: Sequence[NumberRef]
    ) -> list[WhatsAppNumber | GatewayError | None]: ...

    async def list_numbers(self, tenant_id: str) -> list[WhatsAppNumber]: ...

    async def load_dashboards(
        self, requests: Sequence[DashboardRequest]
    ) -> list[NumberDashboard | GatewayError]: ...


class ProviderRegistry:
    """The providers by source name; a source named in an id but not configured is not found."""

    def __init__(self, numbers: dict[str, NumberProvider], default_source: str = "native"):
        self._numbers = numbers
        self.default_source = default_source

    def numbers(self, source: str | None = None) -> NumberProvider:
        name = source or self.default_source
        try:
            return self._numbers[name]
        except KeyError:
            raise NotFound(f"no source named {name!r}") from None
