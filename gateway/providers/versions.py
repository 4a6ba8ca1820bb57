"""Each tenant's data version as this process sees it, and the values kept while it stands.

Ingest bumps a tenant's version in the store; every process watches the store for that, so the
response cache (gateway.http.cache), the providers' memo and live subscriptions all learn that a
tenant's data moved from one place.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

__all__ = ["TenantVersions", "VersionedMemo"]


class TenantVersions:
    """This process's view of each tenant's data version: moved at once by ingest in this
    process, and by the store watch for ingest anywhere else."""

    def __init__(self) -> None:
        self._versions: dict[str, int] = {}
        self._seen: dict[str, int] = {}
        self._moved: dict[str, asyncio.Event] = {}

    def version(self, tenant_id: str) -> int:
        return self._versions.get(tenant_id, 0)

    def invalidate(self, tenant_id: str) -> None:
        self._versions[tenant_id] = self.version(tenant_id) + 1
        moved = self._moved.pop(tenant_id, None)
        if moved is not None:
            moved.set()

    async def moved(self, tenant_id: str, since: int) -> None:
        """Return once the tenant's version is no longer `since` (live subscriptions wait
        here; one event per tenant wakes them all)."""
        while self.version(tenant_id) == since:
            await self._moved.setdefault(tenant_id, asyncio.Event()).wait()

    def seen(self, tenant_id: str) -> int | None:
        """The tenant's version in the store as last observed."""
        return self._seen.get(tenant_id)

    def observe(self, versions: dict[str, int]) -> None:
        """The store's tenant versions as last read: a tenant whose data moved is invalidated."""
        for tenant_id, version in versions.items():
            if self._seen.get(tenant_id) != version:
                self.invalidate(tenant_id)
                self._seen[tenant_id] = version


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class VersionedMemo(Generic[K, V]):
    """Computed values kept while their tenant's data version stands: a provider's answers,
    shared by every query and key that asks the same thing (the response cache cannot share
    across documents or keys). A 90-day dashboard holds some tens of kilobytes, so the default
    bound keeps the memo to tens of megabytes."""

    def __init__(self, versions: TenantVersions, max_entries: int = 512) -> None:
        self.versions = versions
        self.max_entries = max_entries
        self._values: OrderedDict[K, tuple[int, V]] = OrderedDict()

    def get(self, key: K, tenant_id: str) -> V | None:
        found = self._values.get(key)
        if found is None or found[0] != self.versions.version(tenant_id):
            return None
        self._values.move_to_end(key)
        return found[1]

    def put(self, key: K, tenant_id: str, version: int, value: V) -> None:
        if version != self.versions.version(tenant_id):
            return
        self._values[key] = (version, value)
        self._values.move_to_end(key)
        while len(self._values) > self.max_entries:
            self._values.popitem(last=False)
