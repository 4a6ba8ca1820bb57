"""The store's one error mapping: what an unreachable, restarting, closing or locked store
raises becomes StoreUnavailable; a statement's own fault stays what it is."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import asyncpg
import asyncpg.exceptions._base as asyncpg_base
import pytest

from gateway.errors import StoreUnavailable
from gateway.providers.native.outages import StoreOutages, is_outage


def locked(path: Path) -> sqlite3.OperationalError:
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE IF NOT EXISTS t (x)")
    holder.execute("BEGIN IMMEDIATE")
    try:
        sqlite3.connect(path, timeout=0).execute("INSERT INTO t VALUES (1)")
    except sqlite3.OperationalError as error:
        return error
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    raise AssertionError("the file was not locked")


def sqlite_error(sql: str) -> sqlite3.Error:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (x NOT NULL)")
    try:
        conn.execute(sql)
    except sqlite3.Error as error:
        return error
    raise AssertionError(f"{sql} did not fail")


def test_outages_are_mapped_and_a_statement_s_faults_are_not(tmp_path: Path) -> None:
    outages = [
        asyncpg.InternalClientError(
            "cannot switch to state 12; another operation (2) is in progress"
        ),
        asyncpg.InterfaceError("pool is closing"),
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.CannotConnectNowError("the database system is starting up"),
        asyncpg.TooManyConnectionsError("sorry, too many clients already"),
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        ConnectionRefusedError(111, "Connect call failed"),
        TimeoutError(),
        locked(tmp_path / "locked.sqlite3"),
    ]
    faults: list[BaseException] = [
        asyncpg_base.DataError("invalid input for query argument $1"),
        asyncpg.UniqueViolationError("duplicate key value"),
        asyncpg.UndefinedTableError('relation "nope" does not exist'),
        sqlite_error("SELECT * FROM nope"),
        sqlite_error("INSERT INTO t VALUES (NULL)"),  # a NOT NULL column: IntegrityError
    ]
    assert [type(e).__name__ for e in outages if not is_outage(e)] == []
    assert [type(e).__name__ for e in faults if is_outage(e)] == []


def test_an_outage_is_logged_when_it_begins_and_when_it_ends(
    caplog: pytest.LogCaptureFixture,
) -> None:
    outages = StoreOutages()
    caplog.set_level(logging.INFO, logger="gateway.store")
    for _ in range(3):
        with pytest.raises(StoreUnavailable) as raised, outages:
            raise asyncpg.CannotConnectNowError("the database system is shutting down")
        assert isinstance(raised.value.__cause__, asyncpg.CannotConnectNowError)
    with outages.watch:  # the store watch's polls end an outage but are no one's request
        pass
    with outages:
        pass
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 2, lines
    assert "CannotConnectNowError: the database system is shutting down" in lines[0]
    assert lines[1].startswith("the store answers again") and "3 calls refused" in lines[1]
    with pytest.raises(ValueError), outages:  # not an outage: passes through untouched
        raise ValueError("a bug")
    assert len(caplog.records) == 2
