"""Automatic persisted queries, as Apollo's clients speak them.

A client first sends only `extensions.persistedQuery.sha256Hash`. Unknown hashes answer
PersistedQueryNotFound, and the client sends the query again with its hash, which registers it;
from then on the hash alone will do, by POST or by GET (which a CDN or a browser can cache).
Queries are kept per process, most recently used first; with several workers a client may be
asked once per worker, which the protocol takes in its stride.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from dataclasses import replace

from strawberry.http import GraphQLRequestData

from gateway.errors import BadUserInput, GatewayError

__all__ = ["PersistedQueries", "PersistedQueryNotFound", "PersistedQueryNotSupported"]

_HASH = re.compile(r"^[0-9a-f]{64}$")


class PersistedQueryNotFound(GatewayError):
    code = "PERSISTED_QUERY_NOT_FOUND"


class PersistedQueryNotSupported(GatewayError):
    code = "PERSISTED_QUERY_NOT_SUPPORTED"


class PersistedQueries:
    def __init__(self, max_entries: int = 5_000) -> None:
        self.max_entries = max_entries
        self._queries: OrderedDict[str, str] = OrderedDict()

    def __len__(self) -> int:
        return len(self._queries)

    def resolve(self, data: GraphQLRequestData) -> GraphQLRequestData:
        """The request with its query, registering or looking it up by hash as the protocol
        says; a request that does not use the protocol is returned as it is."""
        persisted = (data.extensions or {}).get("persistedQuery")
        if persisted is None:
            return data
        if not isinstance(persisted, dict) or persisted.get("version") != 1:
            raise PersistedQueryNotSupported("PersistedQueryNotSupported: only version 1 is")
        digest = persisted.get("sha256Hash")
        if not isinstance(digest, str) or not _HASH.match(digest):
            raise BadUserInput("persistedQuery.sha256Hash must be 64 lowercase hex digits")
        if data.query is not None:
            if hashlib.sha256(data.query.encode()).hexdigest() != digest:
                raise BadUserInput("provided sha does not match query")
            self._remember(digest, data.query)
            return data
        query = self._queries.get(digest)
        if query is None:
            raise PersistedQueryNotFound("PersistedQueryNotFound")
        self._queries.move_to_end(digest)
        return replace(data, query=query)

    def _remember(self, digest: str, query: str) -> None:
        self._queries[digest] = query
        self._queries.move_to_end(digest)
        while len(self._queries) > self.max_entries:
            self._queries.popitem(last=False)
