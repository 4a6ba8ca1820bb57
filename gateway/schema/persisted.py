"""Automatic persisted queries, as Apollo's clients speak them.

A client first sends only `extensions.persistedQuery.sha256Hash`. Unknown hashes answer
PersistedQueryNotFound, and the client sends the query again with its hash, which registers it;
from then on the hash alone will do, by POST or by GET. Only a keyed request registers a query,
and the queries are kept per process in bytes: each tenant's within a share of the whole, so
that no client can push out another tenant's (with several workers a client may be asked once
per worker, which the protocol takes in its stride).
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict

from gateway.errors import BadUserInput, GatewayError

__all__ = [
    "PersistedQueries",
    "PersistedQueryNotFound",
    "PersistedQueryNotSupported",
    "persisted_hash",
]

_HASH = re.compile(r"^[0-9a-f]{64}$")
# What an entry costs besides its text: the hash, the owner, the LRU's links.
ENTRY_OVERHEAD = 300


class PersistedQueryNotFound(GatewayError):
    """A hash the gateway does not know yet: the client sends it again with its query."""

    code = "PERSISTED_QUERY_NOT_FOUND"
    status = 200  # as Apollo's protocol has it: the client reads the code, then retries


class PersistedQueryNotSupported(GatewayError):
    """Persisted queries are off, or the extension is malformed."""

    code = "PERSISTED_QUERY_NOT_SUPPORTED"
    status = 400


def persisted_hash(extensions: object) -> str | None:
    """The sha256 hash an operation's `extensions.persistedQuery` names; None when it names
    none. A malformed one is refused as the protocol says."""
    persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
    if persisted is None:
        return None
    if not isinstance(persisted, dict) or persisted.get("version") != 1:
        raise PersistedQueryNotSupported("PersistedQueryNotSupported: only version 1 is")
    digest = persisted.get("sha256Hash")
    if not isinstance(digest, str) or not _HASH.match(digest):
        raise BadUserInput("persistedQuery.sha256Hash must be 64 lowercase hex digits")
    return digest


def sha256_of(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


class PersistedQueries:
    """Queries by hash, most recently used kept, within `max_bytes` in all and `tenant_bytes`
    for the queries one tenant registered."""

    def __init__(self, max_bytes: int = 16 * 2**20, tenant_bytes: int = 4 * 2**20) -> None:
        self.max_bytes = max_bytes
        self.tenant_bytes = tenant_bytes
        self._queries: OrderedDict[str, tuple[str, str]] = OrderedDict()  # hash: (query, owner)
        self._bytes = 0
        self._owned: dict[str, int] = {}
        self._by_owner: dict[str, OrderedDict[str, None]] = {}

    def __len__(self) -> int:
        return len(self._queries)

    @property
    def size(self) -> int:
        return self._bytes

    def lookup(self, digest: str) -> str | None:
        found = self._queries.get(digest)
        if found is None:
            return None
        self._queries.move_to_end(digest)
        self._by_owner[found[1]].move_to_end(digest)
        return found[0]

    def register(self, digest: str, query: str, tenant_id: str) -> None:
        """Keep `query` under its hash (which the caller has checked) for `tenant_id`."""
        if digest in self._queries:
            self.lookup(digest)
            return
        cost = _cost(query)
        if cost > self.tenant_bytes:
            return
        self._queries[digest] = (query, tenant_id)
        self._by_owner.setdefault(tenant_id, OrderedDict())[digest] = None
        self._bytes += cost
        self._owned[tenant_id] = self._owned.get(tenant_id, 0) + cost
        # The tenant's own least recently used go first, then anyone's.
        while self._owned[tenant_id] > self.tenant_bytes:
            self._drop(next(iter(self._by_owner[tenant_id])))
        while self._bytes > self.max_bytes:
            self._drop(next(iter(self._queries)))

    def _drop(self, digest: str) -> None:
        query, owner = self._queries.pop(digest)
        del self._by_owner[owner][digest]
        cost = _cost(query)
        self._bytes -= cost
        self._owned[owner] -= cost
        if not self._owned[owner]:
            del self._owned[owner], self._by_owner[owner]


def _cost(query: str) -> int:
    return ENTRY_OVERHEAD + len(query.encode())
