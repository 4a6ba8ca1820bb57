"""SqliteStore: one database file, WAL mode, a writer connection and a reader connection."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from gateway.errors import StoreUnavailable
from gateway.providers.native.migrations import apply_migrations
from gateway.providers.native.outages import StoreOutages, describe, is_outage
from gateway.providers.native.store import Row, Transaction

__all__ = ["SqliteStore", "SqliteTransaction"]


# How long a statement waits for another process's write lock before the store counts as
# unavailable (StoreUnavailable: a webhook answers 503, an import stops with an error).
BUSY_TIMEOUT_MS = 10_000


async def _connect(path: Path, cache_mib: int = 2) -> aiosqlite.Connection:
    # isolation_level=None leaves transactions to us: BEGIN IMMEDIATE ... COMMIT in write().
    conn = await aiosqlite.connect(path, isolation_level=None)
    conn.row_factory = aiosqlite.Row
    # The timeout first: switching a new file to WAL takes a lock that another process opening
    # the same file at the same moment may hold.
    await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    await conn.execute("PRAGMA journal_mode = WAL")
    await conn.execute("PRAGMA foreign_keys = ON")
    # In WAL mode NORMAL loses no committed transaction on a process crash; only a power
    # loss can take the last ones back.
    await conn.execute("PRAGMA synchronous = NORMAL")
    await conn.execute(f"PRAGMA cache_size = -{cache_mib * 1024}")
    return conn


class SqliteTransaction:
    """The writer connection inside one BEGIN IMMEDIATE transaction."""

    arrays = False

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def execute(self, sql: str, params: Sequence[object] = ()) -> int:
        async with self.conn.execute(sql, params) as cursor:
            return cursor.rowcount

    async def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        batch = rows if isinstance(rows, list) else list(rows)
        if batch:  # nothing to do is no trip to the writer thread
            await self.conn.executemany(sql, batch)

    async def fetch_all(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        async with self.conn.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def fetch_one(self, sql: str, params: Sequence[object] = ()) -> Row | None:
        async with self.conn.execute(sql, params) as cursor:
            row: Row | None = await cursor.fetchone()
            return row


class SqliteStore:
    """The native store's database.

    Writes go through one connection under an asyncio lock, each in a BEGIN IMMEDIATE
    transaction; reads use a second connection, which in WAL mode sees only committed data and
    never waits for a writer.
    """

    kind = "sqlite"
    refusals: tuple[type[Exception], ...] = (sqlite3.DatabaseError,)

    def __init__(self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection):
        self.path = path
        self.url = f"sqlite:///{path.resolve()}"
        self._writer = writer
        self._reader = reader
        self._write_lock = asyncio.Lock()
        self._data_version: int | None = None
        self.read_count = 0
        self.outages = StoreOutages()

    @classmethod
    async def open(cls, path: Path | str) -> SqliteStore:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Ingest walks the indexes of every batch's messages and rollups: a larger page cache
        # keeps them in memory (bulk import: 31,000 -> 33,600 events/s at 200,000 events).
        try:
            writer = await _connect(path, cache_mib=64)
            try:
                await apply_migrations(writer)
                reader = await _connect(path)
            except BaseException:
                await writer.close()
                raise
        except Exception as error:
            if not is_outage(error):
                raise
            problem = f"the store at {path} is not answering ({describe(error)})"
            raise StoreUnavailable(problem) from error
        return cls(path, writer, reader)

    async def close(self) -> None:
        await self._reader.close()
        await self._writer.close()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[SqliteTransaction]:
        """A write transaction: committed when the block ends, rolled back if it raises."""
        with self.outages:
            async with self._write_lock:
                await self._writer.execute("BEGIN IMMEDIATE")
                try:
                    yield SqliteTransaction(self._writer)
                except BaseException:
                    await self._writer.rollback()
                    raise
                await self._writer.commit()

    async def fetch_all(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        self.read_count += 1
        with self.outages:
            async with self._reader.execute(sql, params) as cursor:
                return list(await cursor.fetchall())

    async def fetch_one(self, sql: str, params: Sequence[object] = ()) -> Row | None:
        self.read_count += 1
        with self.outages:
            async with self._reader.execute(sql, params) as cursor:
                row: Row | None = await cursor.fetchone()
                return row

    async def bump_versions(self, db: Transaction, tenant_ids: Iterable[str]) -> None:
        """Mark tenants' data as changed, inside the caller's write transaction."""
        await db.executemany(
            "INSERT INTO tenant_versions (tenant_id, version) VALUES (?, 1) "
            "ON CONFLICT (tenant_id) DO UPDATE SET version = tenant_versions.version + 1",
            [(tenant_id,) for tenant_id in sorted(set(tenant_ids))],
        )

    async def versions_if_changed(self) -> dict[str, int] | None:
        """The tenant versions, when anything was committed since the last call; else None.
        (PRAGMA data_version moves when another connection, in any process, commits.)"""
        with self.outages.watch:
            async with self._reader.execute("PRAGMA data_version") as cursor:
                row = await cursor.fetchone()
            version = int(row[0]) if row else 0
            if version == self._data_version:
                return None
            async with self._reader.execute("SELECT tenant_id, version FROM tenant_versions") as c:
                versions = {str(row[0]): int(row[1]) for row in await c.fetchall()}
        # Only once read: a read that failed is tried again at the next call.
        self._data_version = version
        return versions
