from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from gateway.providers.native import SqliteStore
from gateway.providers.native.migrations import available_migrations, split_statements
from gateway.providers.native.tenancy import Tenancy


async def test_opens_in_wal_mode_with_every_migration_applied(store: SqliteStore) -> None:
    assert await store.pragma("journal_mode") == [("wal",)]
    rows = await store.fetch_all("SELECT version FROM schema_migrations ORDER BY version")
    assert [row[0] for row in rows] == [v for v, _, _ in available_migrations()]


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


async def test_a_failed_write_rolls_back_whole(store: SqliteStore) -> None:
    with pytest.raises(sqlite3.IntegrityError):
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


async def test_message_placement_cannot_change(world: object, store: SqliteStore) -> None:
    with pytest.raises(sqlite3.IntegrityError, match="cannot change"):
        async with store.write() as db:
            await db.execute(
                "INSERT INTO messages (tenant_id, number_id, external_id, sent_at, status) "
                "VALUES ('acme', 1, 'm', 1000, 1)"
            )
            await db.execute("UPDATE messages SET sent_at = 99999")
