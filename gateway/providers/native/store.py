"""The native store's contract, met by SqliteStore (embedded) and PostgresStore (shared by
replicas), and the one place a store URL turns into a store."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeAlias

import asyncpg

from gateway.config.settings import StoreUrlError, store_url

if TYPE_CHECKING:
    from gateway.providers.native.outages import StoreOutages

__all__ = [
    "NoStoreError",
    "Row",
    "Store",
    "StoreUrlError",
    "Transaction",
    "open_store",
    "placeholders",
    "redacted",
    "row_id",
    "sqlite_path",
    "store_url",
]

# Both answer row["column"], row[0], row[1:] and iteration.
Row: TypeAlias = sqlite3.Row | asyncpg.Record


class Transaction(Protocol):
    """Statements inside one write transaction; `?` marks each parameter."""

    # Whether one parameter may carry a list of texts (PostgreSQL's arrays): an IN list is
    # then one parameter, planned once, instead of hundreds.
    arrays: bool

    async def execute(self, sql: str, params: Sequence[object] = ()) -> int:
        """Run one statement; returns how many rows it changed."""
        ...

    async def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> None: ...

    async def fetch_all(self, sql: str, params: Sequence[object] = ()) -> list[Row]: ...

    async def fetch_one(self, sql: str, params: Sequence[object] = ()) -> Row | None: ...


class Store(Protocol):
    """The native store's database. Writes are serialized, one transaction at a time across
    every process sharing the store; reads see committed data and never wait for a writer."""

    url: str
    kind: str  # "sqlite" or "postgresql"
    # The errors by which the database refuses a statement (a constraint, a trigger's check).
    refusals: tuple[type[Exception], ...]
    read_count: int
    # Maps its calls' outages to StoreUnavailable and logs each outage once.
    outages: StoreOutages

    def write(self) -> AbstractAsyncContextManager[Transaction]: ...

    async def fetch_all(self, sql: str, params: Sequence[object] = ()) -> list[Row]: ...

    async def fetch_one(self, sql: str, params: Sequence[object] = ()) -> Row | None: ...

    async def bump_versions(self, db: Transaction, tenant_ids: Iterable[str]) -> None:
        """Mark tenants' data as changed, inside the caller's write transaction."""
        ...

    async def versions_if_changed(self) -> dict[str, int] | None:
        """The tenant versions, when anything was committed since the last call; else None."""
        ...

    async def close(self) -> None: ...


def redacted(url: str) -> str:
    """A store URL fit for logs: any password replaced."""
    return re.sub(r"(://[^:/@]+):[^@/]*@", r"\1:***@", url)


def sqlite_path(url: str) -> Path:
    path = url.removeprefix("sqlite://")
    if not path.startswith("/"):
        raise StoreUrlError(f"store URL {url!r}: sqlite:// needs an absolute path (sqlite:///…)")
    return Path("/" + path.lstrip("/"))  # sqlite:////abs names /abs, not //abs


class NoStoreError(StoreUrlError):
    """A command that only works on a store found none where it looked."""

    def __init__(self, where: str) -> None:
        super().__init__(
            f"no store at {where}: `gateway init` creates an empty one (as does `gateway serve"
            " --no-demo`; `gateway seed-demo` one with demo data), or point --data-dir,"
            " --database or --store-url at an existing one"
        )


async def open_store(
    url: str | Path, *, create: bool = True, statement_cache_size: int | None = None
) -> Store:
    """Open (migrating as needed) the store a URL names; with create=False one that does not
    exist yet (no SQLite file, a PostgreSQL database never migrated) is NoStoreError.
    `statement_cache_size` is PostgreSQL's prepared statements per connection (None: the
    default; 0 behind PgBouncer in transaction mode)."""
    from gateway.providers.native.postgres import PostgresStore
    from gateway.providers.native.sqlite import SqliteStore

    url = store_url(url)
    if url.startswith("sqlite://"):
        path = sqlite_path(url)
        if not create and not path.is_file():
            raise NoStoreError(str(path))
        return await SqliteStore.open(path)
    if statement_cache_size is None:
        return await PostgresStore.open(url, create=create)
    return await PostgresStore.open(url, create=create, statement_cache_size=statement_cache_size)


def row_id(text: str) -> int | None:
    """A row id from the text of a global id, or None when it cannot be one: ASCII digits that
    fit both stores' 64-bit integers (str.isdigit() also takes '²', and int() takes '١٢')."""
    if text.isascii() and text.isdigit() and len(text) <= 18:
        return int(text)
    return None


def placeholders(values: Iterable[object]) -> str:
    """The parameters of an IN list; NULL, which matches nothing, for an empty one (PostgreSQL
    refuses `IN ()`)."""
    return ", ".join("?" for _ in values) or "NULL"
