"""The PostgreSQL server the tests start takes the TimeZone CI asks for, so that the native
store's tests run once against a server far from UTC (GATEWAY_TEST_POSTGRES_TIMEZONE)."""

from __future__ import annotations

import os
import subprocess

import asyncpg
import pytest

from tests.support.pg import find_bin, postgres_server, run_aside


async def server_zone(server: str) -> str:
    connection = await asyncpg.connect(f"{server}/postgres")
    try:
        zone: str = await connection.fetchval("SHOW TimeZone")
        return zone
    finally:
        await connection.close()


def test_a_test_server_starts_in_the_timezone_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    if find_bin("initdb") is None:
        if os.environ.get("GATEWAY_REQUIRE_POSTGRES") == "1":
            pytest.fail("GATEWAY_REQUIRE_POSTGRES=1 but PostgreSQL is not installed")
        pytest.skip("needs PostgreSQL (Debian's postgresql)")
    monkeypatch.setenv("GATEWAY_TEST_POSTGRES_TIMEZONE", "Pacific/Chatham")
    try:
        with postgres_server(private=True) as server:
            assert run_aside(server_zone(server)) == "Pacific/Chatham"
    except subprocess.CalledProcessError as error:
        raise AssertionError(error.stderr) from error
