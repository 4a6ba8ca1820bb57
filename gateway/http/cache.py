"""The response cache: whole GraphQL answers, per tenant and key visibility, bounded in bytes.

An entry is served while it is younger than its TTL and its tenant's data version is the one it
was built from. Ingest bumps a tenant's version in the store; every process watches the store
for that (see StoreVersions) and so drops the tenant's entries, its own and those of the other
workers alike. Upstream answers live no longer than their source's TTL.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field

from gateway.domain.auth import Credential, KeyLookup, Principal
from gateway.http.compression import compress, weak
from gateway.providers.versions import TenantVersions

__all__ = ["CacheEntry", "CachedKeyLookup", "ResponseCache"]


@dataclass(frozen=True)
class CacheEntry:
    body: bytes
    tenant_id: str
    version: int
    expires: float
    cost: int
    headers: Mapping[str, str]
    # The body in each encoding asked for so far, with its headers (see ResponseCache.encoded).
    encoded: dict[str, tuple[bytes, Mapping[str, str]]] = field(default_factory=dict)


# What an entry holds besides its body and key: the entry, the key tuple and the LRU's links.
ENTRY_OVERHEAD = 400


def _cost(key: Hashable, body: bytes) -> int:
    parts = key if isinstance(key, tuple) else (key,)
    return (
        ENTRY_OVERHEAD
        + len(body)
        + sum(len(part) for part in parts if isinstance(part, str | bytes))
    )


class ResponseCache:
    """LRU by bytes: the answers', their keys' and an estimate of each entry's own. Keys must
    hold everything an answer depends on besides the tenant's data: the tenant, what the key
    may see, and the request (see gateway.http.view.cache_key)."""

    def __init__(
        self,
        max_bytes: int,
        versions: TenantVersions | None = None,
        clock: Callable[[], float] = time.monotonic,
        *,
        compression: bool = True,
    ) -> None:
        self.max_bytes = max_bytes
        self.compression = compression  # whether hits are sent in the encoding asked for
        self.versions = versions or TenantVersions()
        self.clock = clock
        self._entries: OrderedDict[Hashable, CacheEntry] = OrderedDict()
        self._bytes = 0
        self.hits = 0
        self.misses = 0

    def version(self, tenant_id: str) -> int:
        return self.versions.version(tenant_id)

    def get(self, key: Hashable) -> bytes | None:
        entry = self.lookup(key)
        return None if entry is None else entry.body

    def lookup(self, key: Hashable) -> CacheEntry | None:
        """The live entry under `key`, with the headers it was kept with."""
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        if entry.expires <= self.clock() or entry.version != self.version(entry.tenant_id):
            self._drop(key)
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry

    def put(
        self,
        key: Hashable,
        tenant_id: str,
        version: int,
        body: bytes,
        ttl: float,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Keep an answer built while the tenant's data was at `version` (read before building,
        so that an answer racing an invalidation is never kept as fresh)."""
        cost = _cost(key, body)
        if ttl <= 0 or cost > self.max_bytes // 4 or version != self.version(tenant_id):
            return
        if key in self._entries:
            self._drop(key)
        entry = CacheEntry(body, tenant_id, version, self.clock() + ttl, cost, headers or {})
        self._entries[key] = entry
        self._bytes += cost
        while self._bytes > self.max_bytes:
            self._drop(next(iter(self._entries)))

    def encoded(self, entry: CacheEntry, encoding: str) -> tuple[bytes, Mapping[str, str]]:
        """The entry's body in `encoding` ("br" or "gzip") and its headers: compressed at the
        first hit that asks for it and kept beside the identity bytes (counted in the bound),
        so that a compressed hit costs what an identity hit does."""
        found = entry.encoded.get(encoding)
        if found is None:
            body = compress(entry.body, encoding)
            etag = entry.headers.get("etag")
            headers = {**entry.headers, "content-encoding": encoding}
            if etag:
                headers["etag"] = weak(etag)
            found = entry.encoded[encoding] = (body, headers)
            self._bytes += len(body)
            while self._bytes > self.max_bytes and self._entries:
                self._drop(next(iter(self._entries)))
        return found

    def invalidate(self, tenant_id: str) -> None:
        self.versions.invalidate(tenant_id)

    @property
    def size(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def _drop(self, key: Hashable) -> None:
        entry = self._entries.pop(key)
        self._bytes -= entry.cost + sum(len(body) for body, _ in entry.encoded.values())


class CachedKeyLookup:
    """Principals by key hash, kept until any key changes (the store's '__keys__' version), so
    that an authenticated request costs no store read. Revocations reach every process within
    the watcher's poll."""

    def __init__(self, inner: KeyLookup, max_entries: int = 10_000) -> None:
        self.inner = inner
        self.max_entries = max_entries
        self._found: dict[str, Principal | None] = {}
        self._by_credential: dict[Credential, Principal] = {}
        self._version: int | None = None

    def known(self, credential: Credential) -> Principal | None:
        """The principal of a credential that authenticated before: no hashing and no await
        on the way to a cached answer."""
        return self._by_credential.get(credential)

    def remember(self, credential: Credential, principal: Principal) -> None:
        """Keep the credential that just authenticated as `principal` (and only such one)."""
        if len(self._by_credential) >= self.max_entries:
            self._by_credential.clear()
        self._by_credential[credential] = principal

    async def find_active_key(self, secret_hash: str) -> Principal | None:
        if secret_hash in self._found:
            return self._found[secret_hash]
        principal = await self.inner.find_active_key(secret_hash)
        if principal is not None:  # unknown keys are not kept: a flood of them must not grow it
            if len(self._found) >= self.max_entries:
                self._found.clear()
            self._found[secret_hash] = principal
        return principal

    def observe(self, version: int | None) -> bool:
        """Forget every key when the keys' version moved; whether it did."""
        if version == self._version:
            return False
        self._version = version
        self._found.clear()
        self._by_credential.clear()
        return True
