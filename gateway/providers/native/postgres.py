"""PostgresStore: the native store in a PostgreSQL database that every replica shares."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from functools import lru_cache

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from gateway.errors import StoreUnavailable
from gateway.providers.native.migrations import apply_postgres_migrations
from gateway.providers.native.outages import StoreOutages, describe, is_outage
from gateway.providers.native.store import NoStoreError, Row, Transaction, redacted

__all__ = [
    "STATEMENT_CACHE_SIZE",
    "PostgresError",
    "PostgresStore",
    "PostgresTransaction",
    "numbered",
    "reach_postgres",
]

# What PostgreSQL refused (a wrong password, a missing database), for callers above the store.
PostgresError = asyncpg.PostgresError

# Every write transaction takes this transaction-scoped advisory lock first: writes are applied
# one at a time across all replicas, as SQLite applies them, so two batches can never deadlock
# on the rollup rows they share, nor both claim one event id.
WRITE_LOCK = 0x6761_7465  # "gate"

# Prepared statements kept per connection (asyncpg's cache): queries are built with IN lists of
# every length, so keep the ones used most. 0 behind PgBouncer in transaction mode, where a
# statement prepared on one server connection is not there on the next transaction's.
STATEMENT_CACHE_SIZE = 512

_LITERAL_OR_MARK = re.compile(r"'(?:[^']|'')*'|\?")


@lru_cache(maxsize=4096)
def numbered(sql: str) -> str:
    """The store's `?` parameters as PostgreSQL's $1, $2, ... (string literals left alone)."""
    count = 0

    def number(match: re.Match[str]) -> str:
        nonlocal count
        if match.group() != "?":
            return match.group()
        count += 1
        return f"${count}"

    return _LITERAL_OR_MARK.sub(number, sql)


def _changed(status: str) -> int:
    # asyncpg answers a statement's command tag: "UPDATE 3", "INSERT 0 1", "DELETE 0".
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


async def _reset(conn: asyncpg.Connection) -> None:
    """What a connection needs before it goes back to the pool. asyncpg's own reset runs one
    more statement after every read (advisory unlocks, CLOSE ALL, UNLISTEN, RESET ALL): a second
    round trip per read, the one most reads of a dashboard wait on. The store leaves none of
    that behind (its write lock is transaction-scoped, it never listens, declares a cursor or
    sets a session setting), so only a transaction left open, by a cancelled write, is undone."""
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


class PostgresTransaction:
    """One pooled connection inside a transaction that holds the write lock."""

    arrays = True

    def __init__(self, conn: asyncpg.Connection | PoolConnectionProxy) -> None:
        self.conn = conn

    async def execute(self, sql: str, params: Sequence[object] = ()) -> int:
        return _changed(await self.conn.execute(numbered(sql), *params))

    async def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        batch = list(rows)
        if batch:
            await self.conn.executemany(numbered(sql), batch)

    async def fetch_all(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        return list(await self.conn.fetch(numbered(sql), *params))

    async def copy_records(
        self, table: str, columns: Sequence[str], records: Sequence[tuple[object, ...]]
    ) -> None:
        """Bulk rows through COPY (store-to-store copies)."""
        await self.conn.copy_records_to_table(table, records=records, columns=list(columns))

    async def fetch_one(self, sql: str, params: Sequence[object] = ()) -> Row | None:
        row: Row | None = await self.conn.fetchrow(numbered(sql), *params)
        return row


class PostgresStore:
    """The native store on a PostgreSQL server: a connection pool per process; migrations are
    applied by the first process to start, under an advisory lock."""

    kind = "postgresql"
    refusals: tuple[type[Exception], ...] = (
        asyncpg.IntegrityConstraintViolationError,
        asyncpg.DataError,
        asyncpg.RaiseError,
    )

    def __init__(self, url: str, pool: asyncpg.Pool) -> None:
        self.url = url
        self._pool = pool
        self.outages = StoreOutages()
        self._versions: dict[str, int] | None = None
        self.read_count = 0

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        max_connections: int = 10,
        create: bool = True,
        statement_cache_size: int = STATEMENT_CACHE_SIZE,
    ) -> PostgresStore:
        try:
            pool = await asyncpg.create_pool(
                url,
                # No floor to keep: asyncpg would log a traceback for every failed attempt to
                # restore it while the server is away; connections are made as calls need them.
                min_size=0,
                max_size=max_connections,
                timeout=10,  # to connect: an unreachable server fails a request, not hangs it
                command_timeout=60,
                statement_cache_size=statement_cache_size,
                server_settings={"application_name": "analytics-gateway"},
                reset=_reset,
            )
            try:
                async with pool.acquire() as conn:
                    if not create and not await conn.fetchval(
                        "SELECT to_regclass('schema_migrations') IS NOT NULL"
                    ):
                        raise NoStoreError(redacted(url))
                    await apply_postgres_migrations(conn)
            except BaseException:
                await pool.close()
                raise
        except Exception as error:
            if not is_outage(error):
                raise
            # Said to whoever started the gateway or a command, so naming the server is fine.
            problem = f"the store at {redacted(url)} is not answering ({describe(error)})"
            raise StoreUnavailable(problem) from error
        return cls(url, pool)

    async def close(self) -> None:
        await self._pool.close()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[PostgresTransaction]:
        """A write transaction: committed when the block ends, rolled back if it raises."""
        with self.outages:
            async with self._pool.acquire() as conn, conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock($1)", WRITE_LOCK)
                yield PostgresTransaction(conn)

    async def fetch_all(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        self.read_count += 1
        with self.outages:
            return list(await self._pool.fetch(numbered(sql), *params))

    async def fetch_one(self, sql: str, params: Sequence[object] = ()) -> Row | None:
        self.read_count += 1
        with self.outages:
            row: Row | None = await self._pool.fetchrow(numbered(sql), *params)
            return row

    async def bump_versions(self, db: Transaction, tenant_ids: Iterable[str]) -> None:
        await db.executemany(
            "INSERT INTO tenant_versions AS v (tenant_id, version) VALUES (?, 1) "
            "ON CONFLICT (tenant_id) DO UPDATE SET version = v.version + 1",
            [(tenant_id,) for tenant_id in sorted(set(tenant_ids))],
        )

    async def versions_if_changed(self) -> dict[str, int] | None:
        """The tenant versions when any moved since the last call (a few rows: one per tenant
        plus one for keys), else None."""
        with self.outages.watch:
            rows = await self._pool.fetch("SELECT tenant_id, version FROM tenant_versions")
        versions = {str(row[0]): int(row[1]) for row in rows}
        if versions == self._versions:
            return None
        self._versions = versions
        return versions


async def reach_postgres(url: str, seconds: float) -> bool:
    """Connect to the PostgreSQL database at `url`, changing nothing: whether the gateway's
    store is in it (migrated at least once). Raises OSError, PostgresError or TimeoutError when
    it cannot be reached."""
    connection = await asyncpg.connect(url, timeout=seconds)
    try:
        found = await connection.fetchval(
            "SELECT to_regclass('schema_migrations') IS NOT NULL", timeout=seconds
        )
    finally:
        await connection.close()
    return bool(found)
