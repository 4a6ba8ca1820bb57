from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from gateway.providers.native import PostgresStore, SqliteStore, Store
from gateway.providers.native.migrations import available_migrations, split_statements
from gateway.providers.native.postgres import numbered
from gateway.providers.native.tenancy import Tenancy
from tests.support.pg import create_database
from tests.support.production import pragma


async def test_opens_with_every_migration_applied(store: Store) -> None:
    if isinstance(store, SqliteStore):
        assert await pragma(store, "journal_mode") == [("wal",)]
    rows = await store.fetch_all("SELECT version FROM schema_migrations ORDER BY version")
    assert [row[0] for row in rows] == [v for v, _, _ in available_migrations(store.kind)]


def test_both_backends_have_the_same_migrations() -> None:
    def names(dialect: str) -> list[tuple[int, str]]:
        return [(v, n) for v, n, _ in available_migrations(dialect)]

    assert names("sqlite") == names("postgresql")


async def test_both_backends_have_the_same_tables_and_columns(
    tmp_path: Path, postgres: str
) -> None:
    lite = await SqliteStore.open(tmp_path / "s.sqlite3")
    pg = await PostgresStore.open(await create_database(postgres))
    try:
        tables = [
            row[0]
            for row in await lite.fetch_all(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        lite_columns = {
            t: [row["name"] for row in await lite.fetch_all(f"PRAGMA table_info({t})")]
            for t in tables
        }
        pg_columns: dict[str, list[str]] = {}
        for row in await pg.fetch_all(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' ORDER BY table_name, ordinal_position"
        ):
            pg_columns.setdefault(row[0], []).append(row[1])
        assert pg_columns == lite_columns
    finally:
        await lite.close()
        await pg.close()


async def test_data_survives_a_restart_and_migrations_run_once(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "store.sqlite3"
    first = await SqliteStore.open(path)
    await Tenancy(first).create_tenant("acme", "Acme")
    await first.close()

    second = await SqliteStore.open(path)
    try:
        assert await Tenancy(second).tenant_name("acme") == "Acme"
        rows = await second.fetch_all("SELECT count(*) FROM schema_migrations")
        assert rows[0][0] == len(available_migrations())
    finally:
        await second.close()


async def test_replicas_starting_together_migrate_a_server_once(postgres: str) -> None:
    url = await create_database(postgres)
    stores = await asyncio.gather(*(PostgresStore.open(url) for _ in range(4)))
    try:
        await Tenancy(stores[0]).create_tenant("acme", "Acme")
        assert await Tenancy(stores[3]).tenant_name("acme") == "Acme"
        rows = await stores[1].fetch_all("SELECT count(*) FROM schema_migrations")
        assert rows[0][0] == len(available_migrations("postgresql"))
    finally:
        for store in stores:
            await store.close()


async def test_a_failed_write_rolls_back_whole(store: Store) -> None:
    with pytest.raises(store.refusals):
        async with store.write() as db:
            await db.execute("INSERT INTO tenants VALUES ('a', 'A', 0, 0)")
            await db.execute("INSERT INTO tenants VALUES ('a', 'again', 0, 0)")
    assert await Tenancy(store).is_empty()


def test_trigger_bodies_stay_one_statement() -> None:
    script = (
        "CREATE TABLE t (x);\nCREATE TRIGGER g AFTER INSERT ON t BEGIN\n  SELECT 1;\n"
        "  SELECT 2;\nEND;\n-- trailing comment\n"
    )
    assert len(split_statements(script)) == 2


def test_parameters_are_numbered_outside_string_literals() -> None:
    assert numbered("SELECT '?', x FROM t WHERE a = ? AND b IN (?, ?) AND c = 'it''s ?'") == (
        "SELECT '?', x FROM t WHERE a = $1 AND b IN ($2, $3) AND c = 'it''s ?'"
    )


async def test_message_placement_cannot_change(world: object, store: Store) -> None:
    with pytest.raises(store.refusals, match="cannot change"):
        async with store.write() as db:
            await db.execute(
                "INSERT INTO messages (tenant_id, number_id, external_id, sent_at, status) "
                "VALUES ('acme', 1, 'm', 1000, 1)"
            )
            await db.execute("UPDATE messages SET sent_at = 99999")


async def test_an_empty_in_list_matches_nothing(store: Store) -> None:
    await Tenancy(store).create_tenant("acme", "Acme")
    assert await Tenancy(store).numbers_by_id("acme", []) == {}
