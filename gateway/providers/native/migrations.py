"""Versioned schema migrations, applied in order at start-up, each in its own transaction."""

from __future__ import annotations

import sqlite3
import time
from importlib import resources

import aiosqlite
import asyncpg
from asyncpg.pool import PoolConnectionProxy

__all__ = ["apply_migrations", "apply_postgres_migrations", "available_migrations"]

# Held while a process migrates a PostgreSQL store, so replicas starting together take turns.
MIGRATION_LOCK = 0x6761_7466


def available_migrations(dialect: str = "sqlite") -> list[tuple[int, str, str]]:
    """(version, name, sql) for every bundled migration, oldest first. PostgreSQL's live in
    migrations/postgresql/ with the same versions and names as SQLite's."""
    folder = resources.files("gateway.providers.native") / "migrations"
    if dialect == "postgresql":
        folder = folder / "postgresql"
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


async def apply_postgres_migrations(
    conn: asyncpg.Connection | PoolConnectionProxy,
) -> list[int]:
    """The same story on PostgreSQL: each pending migration in its own transaction."""
    applied = []
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"
        )
        done = {row[0] for row in await conn.fetch("SELECT version FROM schema_migrations")}
    for version, name, sql in available_migrations("postgresql"):
        if version in done:
            continue
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
            if await conn.fetchval("SELECT 1 FROM schema_migrations WHERE version = $1", version):
                continue
            await conn.execute(sql)  # a script: no parameters, so several statements may run
            await conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                version,
                name,
                int(time.time()),
            )
            applied.append(version)
    return applied
