"""Versioned schema migrations, applied in order at start-up, each in its own transaction."""

from __future__ import annotations

import sqlite3
import time
from importlib import resources

import aiosqlite

__all__ = ["apply_migrations", "available_migrations"]


def available_migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) for every bundled migration, oldest first."""
    folder = resources.files("gateway.providers.native") / "migrations"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            version = int(entry.name.split("_", 1)[0])
            found.append((version, entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def split_statements(script: str) -> list[str]:
    # executescript() would commit our open transaction first, so statements run one by one;
    # complete_statement() knows that a trigger body's semicolons do not end the statement.
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        if not current and line.lstrip().startswith("--"):
            continue
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if current.strip():
        raise ValueError(f"incomplete SQL statement in migration: {current.strip()[:80]!r}")
    return statements


async def apply_migrations(conn: aiosqlite.Connection) -> list[int]:
    """Bring the database up to the newest migration; returns the versions applied now."""
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)"
    )
    applied = []
    for version, name, sql in available_migrations():
        # BEGIN IMMEDIATE takes the write lock first, so two processes starting at once
        # cannot both apply the same migration.
        await conn.execute("BEGIN IMMEDIATE")
        try:
            async with conn.execute(
                "SELECT 1 FROM schema_migrations WHERE version = ?", (version,)
            ) as cursor:
                done = await cursor.fetchone() is not None
            if not done:
                for statement in split_statements(sql):
                    await conn.execute(statement)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (version, name, int(time.time())),
                )
                applied.append(version)
            await conn.commit()
        except BaseException:
            await conn.rollback()
            raise
    return applied
