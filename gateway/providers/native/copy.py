"""Copying a SQLite store into PostgreSQL (`gateway migrate-store`): table by table in chunks,
resumable after any interruption, and verified by counting every table on both sides.

Rows are copied as they are, the rollups and the credits ledger included, with the tables' own
triggers (the checks that a message's placement never changes) off for the copy.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from gateway.providers.native.migrations import available_migrations
from gateway.providers.native.postgres import PostgresStore
from gateway.providers.native.sqlite import SqliteStore

__all__ = ["COPY_ORDER", "CopyError", "TableCopy", "copy_store"]

# Parents before children, for the foreign keys (which stay on during the copy).
COPY_ORDER = (
    "tenants",
    "numbers",
    "api_keys",
    "campaigns",
    "webhook_sources",
    "billing_accounts",
    "billing_ledger",
    "contacts",
    "contact_totals",
    "messages",
    "message_buckets",
    "message_hours",
    "tenant_message_buckets",
    "tenant_message_hours",
    "pending_statuses",
    "sms_messages",
    "sms_buckets",
    "sms_hours",
    "campaign_counts",
    "pending_sms_statuses",
    "email_recipients",
    "email_buckets",
    "email_hours",
    "email_counts",
    "email_links",
    "email_link_recipients",
    "ingested_events",
    "tenant_versions",
)
# Tables whose ids PostgreSQL hands out: their sequences continue after the copied ids.
IDENTITY_TABLES = ("numbers", "messages", "campaigns", "sms_messages")
PROGRESS = "store_copy_progress"


class CopyError(Exception):
    """The copy cannot start or did not verify."""


@dataclass
class TableCopy:
    table: str
    source_rows: int
    target_rows: int


async def _tables(source: SqliteStore) -> list[str]:
    rows = await source.fetch_all(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND name <> 'schema_migrations'"
    )
    found = {row[0] for row in rows}
    unknown = found - set(COPY_ORDER)
    if unknown:
        raise CopyError(f"tables this version cannot copy: {', '.join(sorted(unknown))}")
    return [t for t in COPY_ORDER if t in found]


async def _key_columns(source: SqliteStore, table: str) -> tuple[list[str], list[str]]:
    info = await source.fetch_all(f"PRAGMA table_info({table})")
    columns = [row["name"] for row in info]
    key = [row["name"] for row in sorted(info, key=lambda r: r["pk"]) if row["pk"]]
    return columns, key


async def _check_versions(source: SqliteStore, target: PostgresStore) -> None:
    mine = [row[0] for row in await source.fetch_all("SELECT version FROM schema_migrations")]
    theirs = [row[0] for row in await target.fetch_all("SELECT version FROM schema_migrations")]
    if sorted(mine) != sorted(theirs) or sorted(mine) != [v for v, _, _ in available_migrations()]:
        raise CopyError("the two stores are at different schema versions")


async def _start(target: PostgresStore) -> dict[str, tuple[list[object] | None, bool]]:
    """The progress of an earlier run, or a fresh start on an empty target."""
    async with target.write() as db:
        exists = await db.fetch_one("SELECT to_regclass(?) IS NOT NULL", (PROGRESS,))
        if not (exists and exists[0]):
            if await db.fetch_one("SELECT 1 FROM tenants LIMIT 1"):
                raise CopyError("the target store already has data; copy into an empty database")
            await db.execute(
                f"CREATE TABLE {PROGRESS} (table_name TEXT PRIMARY KEY, last_key TEXT, "
                "done BOOLEAN NOT NULL DEFAULT FALSE)"
            )
        rows = await db.fetch_all(f"SELECT table_name, last_key, done FROM {PROGRESS}")
    return {row[0]: (None if row[1] is None else json.loads(row[1]), row[2]) for row in rows}


async def copy_store(
    source: SqliteStore,
    target: PostgresStore,
    *,
    chunk: int = 20_000,
    progress: Callable[[str, int], None] = lambda table, rows: None,
) -> list[TableCopy]:
    """Copy every table of `source` into `target`, continuing where an earlier run stopped.
    Writers to the source should be stopped first: the counts must meet at the end."""
    await _check_versions(source, target)
    tables = await _tables(source)
    state = await _start(target)
    for table in tables:
        last, done = state.get(table, (None, False))
        if not done:
            await _copy_table(source, target, table, last, chunk, progress)
    async with target.write() as db:
        for table in IDENTITY_TABLES:
            await db.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
            )
    report = []
    for table in tables:
        [mine] = await source.fetch_all(f"SELECT count(*) FROM {table}")
        [theirs] = await target.fetch_all(f"SELECT count(*) FROM {table}")
        report.append(TableCopy(table, int(mine[0]), int(theirs[0])))
    wrong = [r for r in report if r.source_rows != r.target_rows]
    if wrong:
        raise CopyError(
            "counts differ after the copy: "
            + ", ".join(f"{r.table} {r.source_rows} -> {r.target_rows}" for r in wrong)
        )
    async with target.write() as db:
        await db.execute(f"DROP TABLE {PROGRESS}")
        await db.execute("ANALYZE")  # the planner's statistics, which a bulk load leaves stale
    return report


async def _copy_table(
    source: SqliteStore,
    target: PostgresStore,
    table: str,
    last: list[object] | None,
    chunk: int,
    progress: Callable[[str, int], None],
) -> None:
    columns, key = await _key_columns(source, table)
    order = ", ".join(key)
    marks = ", ".join("?" for _ in key)
    while True:
        after = f"WHERE ({order}) > ({marks}) " if last is not None else ""
        rows = await source.fetch_all(
            f"SELECT {', '.join(columns)} FROM {table} {after}ORDER BY {order} LIMIT ?",
            [*(last or []), chunk],
        )
        records = [tuple(row) for row in rows]
        position = [rows[-1][c] for c in key] if rows else last
        async with target.write() as db:
            # The triggers are off inside this transaction only: no other session ever sees
            # the table without them.
            await db.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            if records:
                await db.copy_records(table, columns, records)
            await db.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
            await db.execute(
                f"INSERT INTO {PROGRESS} (table_name, last_key, done) VALUES (?, ?, ?) "
                "ON CONFLICT (table_name) DO UPDATE SET last_key = excluded.last_key, "
                "done = excluded.done",
                (table, None if position is None else json.dumps(position), len(rows) < chunk),
            )
        progress(table, len(rows))
        if len(rows) < chunk:
            return
        last = position
