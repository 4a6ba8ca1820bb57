"""`gateway migrate-store`: a SQLite store copied into PostgreSQL answers every query as the
original did, an interrupted copy continues where it stopped, and a bad target is refused."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from gateway.config.settings import Settings
from gateway.http.app import create_app
from gateway.providers.native import PostgresStore, SqliteStore, Store
from gateway.providers.native.copy import COPY_ORDER, CopyError, copy_store
from gateway.providers.native.demo import issue_demo_keys, seed_demo
from gateway.providers.native.tenancy import Tenancy
from tests.support.gateway import NOW, fixed_clock, ingest, serve
from tests.support.pg import create_database

QUERY = """{
  dashboard(period: DAYS_30, timezone: "America/Sao_Paulo") {
    totals { total sent delivered read failed } series { date total read } }
}"""
TENANT_QUERY = """{
  sms { overview(timezone: "Asia/Kathmandu") { messages { total delivered } } }
  email { dashboard(pastDays: 30, timezone: "Europe/Berlin") { emailsSent { value previous } } }
  campaigns(first: 5) { edges { node { id name status } } }
  creditBalance { balance }
}"""


async def seeded(tmp_path: Path) -> SqliteStore:
    store = await SqliteStore.open(tmp_path / "gateway.sqlite3")
    await seed_demo(store, NOW)
    await ingest(
        store,
        {"type": "whatsapp.status", "tenant": "demo", "messageId": "late", "status": "read"},
    )
    return store


async def answers(store: Store, keys: dict[str, str]) -> list[dict[str, Any]]:
    settings = Settings(store_url=store.url, demo=False, cache_ttl_seconds=0, rate_limit=0)
    found = []
    async for gateway in serve(create_app(settings, clock=fixed_clock)):
        found.append((await gateway.query(keys["number"], QUERY)).body)
        found.append((await gateway.query(keys["tenant"], TENANT_QUERY)).body)
    return found


async def table_rows(store: Store, table: str) -> list[tuple[object, ...]]:
    return [tuple(row) for row in await store.fetch_all(f"SELECT * FROM {table} ORDER BY 1, 2")]


async def test_a_copied_store_holds_the_same_rows_and_answers(
    tmp_path: Path, postgres: str
) -> None:
    source = await seeded(tmp_path)
    demo = await issue_demo_keys(source)
    keys = {"number": demo.number_key, "tenant": demo.tenant_key}
    target_url = await create_database(postgres)
    copying = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "gateway", "migrate-store", "--from", source.url),
        *("--to", target_url, "--chunk", "7000"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(copying.communicate(), 300)
    assert copying.returncode == 0, err.decode()
    assert "copied and verified" in out.decode()
    target = await PostgresStore.open(target_url)
    try:
        for table in COPY_ORDER:
            assert await table_rows(target, table) == await table_rows(source, table), table
        expected = await answers(source, keys)
        assert "errors" not in expected[0] and "errors" not in expected[1], expected
        assert await answers(target, keys) == expected
        # New rows continue after the copied ids.
        await ingest(
            target,
            {
                "type": "sms.message",
                "tenant": "demo",
                "messageId": "after-copy",
                "sentAt": "2026-11-22T10:00:00Z",
                "status": "delivered",
            },
        )
    finally:
        await target.close()
        await source.close()


async def test_an_interrupted_copy_continues_where_it_stopped(
    tmp_path: Path, postgres: str
) -> None:
    source = await seeded(tmp_path)
    target = await PostgresStore.open(await create_database(postgres))
    chunks = 0

    def stop_midway(table: str, rows: int) -> None:
        nonlocal chunks
        chunks += 1
        if table == "messages" and chunks > 8:
            raise KeyboardInterrupt  # as a ^C would

    try:
        with pytest.raises(KeyboardInterrupt):
            await copy_store(source, target, chunk=5000, progress=stop_midway)
        [partial] = await target.fetch_all("SELECT count(*) FROM messages")
        [whole] = await source.fetch_all("SELECT count(*) FROM messages")
        assert 0 < partial[0] < whole[0]
        report = await copy_store(source, target, chunk=5000)
        assert {r.table: r.target_rows for r in report} == {r.table: r.source_rows for r in report}
        assert await table_rows(target, "message_buckets") == await table_rows(
            source, "message_buckets"
        )
    finally:
        await target.close()
        await source.close()


async def test_a_target_with_data_is_refused(tmp_path: Path, postgres: str) -> None:
    source = await seeded(tmp_path)
    target = await PostgresStore.open(await create_database(postgres))
    try:
        await Tenancy(target).create_tenant("acme", "Acme")
        with pytest.raises(CopyError, match="already has data"):
            await copy_store(source, target)
    finally:
        await target.close()
        await source.close()


def test_urls_other_than_sqlite_to_postgresql_are_refused(tmp_path: Path) -> None:
    for source, target in (
        (f"sqlite:///{tmp_path}/a.sqlite3", f"sqlite:///{tmp_path}/b.sqlite3"),
        ("mysql://x/y", "postgresql://127.0.0.1/none"),
    ):
        run = subprocess.run(
            [sys.executable, "-m", "gateway", "migrate-store", "--from", source, "--to", target],
            capture_output=True,
            text=True,
        )
        assert run.returncode == 2 and run.stderr.startswith("error: "), run.stderr
        assert "Traceback" not in run.stderr
