"""A PostgreSQL read is one round trip: connections go back to the pool without asyncpg's
session reset, which the store never needs, and a transaction left open is still undone."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from gateway.providers.native import PostgresStore
from tests.support.pg import create_database, drop_database


@pytest.fixture
async def pg_store(postgres: str) -> AsyncIterator[PostgresStore]:
    url = await create_database(postgres)
    store = await PostgresStore.open(url, max_connections=2)
    yield store
    await store.close()
    drop_database(postgres, url.rsplit("/", 1)[1])


async def test_reads_send_no_reset_statement(
    pg_store: PostgresStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[str] = []
    original = asyncpg.connection.Connection.execute

    async def observed(self: asyncpg.Connection, query: str, *args: object, **kw: object) -> str:
        sent.append(query)
        return await original(self, query, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(asyncpg.connection.Connection, "execute", observed)
    for _ in range(5):
        assert await pg_store.fetch_one("SELECT 1") is not None
        assert await pg_store.fetch_all("SELECT 2") == [(2,)]
    assert sent == []  # asyncpg's reset would be one statement per read


async def test_a_transaction_left_open_is_rolled_back_on_release(pg_store: PostgresStore) -> None:
    async with pg_store.write() as db:
        await db.execute("CREATE TABLE kept (id integer)")
    pool = pg_store._pool  # the store's own pool: a connection released mid-transaction
    async with pool.acquire() as conn:
        await conn.execute("BEGIN")
        await conn.execute("INSERT INTO kept VALUES (1)")
    for _ in range(4):  # every connection of the pool: none holds the insert or a transaction
        assert await pg_store.fetch_one("SELECT count(*) FROM kept") == (0,)
    async with pool.acquire() as a, pool.acquire() as b:
        assert not a.is_in_transaction() and not b.is_in_transaction()
