"""The probes: /livez while the process can serve at all, /readyz only while it should be sent
traffic: not while it migrates its store, nor while it drains to stop, nor while the store
fails (here a table the watch reads; a stopped PostgreSQL server in test_store_outage.py)."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from gateway.config.settings import Settings
from gateway.http.app import create_app
from gateway.providers.native import SqliteStore
from tests.support.gateway import Gateway, World, fixed_clock, serve
from tests.support.live import free_port


async def probe(gateway: Gateway, path: str) -> tuple[int, dict[str, Any]]:
    async with gateway.session.get(gateway.server.make_url(path)) as response:
        return response.status, await response.json()


async def until_ready(gateway: Gateway, seconds: float = 10) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        status, body = await probe(gateway, "/readyz")
        if status == 200 or time.monotonic() > deadline:
            return body
        await asyncio.sleep(0.05)


async def get(
    session: aiohttp.ClientSession, url: str, **kwargs: Any
) -> tuple[int, dict[str, Any]]:
    async with session.request("POST" if "json" in kwargs else "GET", url, **kwargs) as response:
        return response.status, await response.json()


# A worker process as the supervisor starts it, and `gateway serve` as a user starts it without
# demo data: both listen while they migrate.
@pytest.mark.parametrize("command", [["serve", "--worker"], ["serve"]], ids=["worker", "serve"])
async def test_a_serving_process_is_alive_but_not_ready_while_migrating_and_draining(
    tmp_path: Path, command: list[str]
) -> None:
    path = tmp_path / "gateway.sqlite3"
    await (await SqliteStore.open(path)).close()
    # Another process holds the write lock, as one migrating the same file does: this one's
    # migrations wait for it (within SQLite's busy timeout).
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    port = free_port()
    env = {
        **os.environ,
        "GATEWAY_DATA_DIR": str(tmp_path),
        "GATEWAY_PORT": str(port),
        "GATEWAY_DEMO": "false",
        "GATEWAY_DRAIN_SECONDS": "1",
    }
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway", *command, env=env
    )
    base, graphql = f"http://127.0.0.1:{port}", {"json": {"query": "{ __typename }"}}
    try:
        async with aiohttp.ClientSession() as session:
            deadline = time.monotonic() + 20
            while True:  # until it listens
                try:
                    status, ready = await get(session, base + "/readyz")
                    break
                except aiohttp.ClientConnectionError:
                    assert time.monotonic() < deadline and server.returncode is None
                    await asyncio.sleep(0.05)
            assert status == 503 and ready["status"] == "migrating" and not ready["ready"]
            status, live = await get(session, base + "/livez")
            assert status == 200 and live["status"] == "ok" and live["loopLagMs"] >= 0
            status, refused = await get(session, base + "/graphql", **graphql)
            assert status == 503 and refused["errors"][0]["extensions"]["code"] == (
                "UPSTREAM_UNAVAILABLE"
            )
            # A SIGHUP meanwhile (a reload sent too early) is not the end of the process.
            server.send_signal(signal.SIGHUP)
            await asyncio.sleep(0.3)
            assert server.returncode is None
            other.execute("COMMIT")
            while (await get(session, base + "/readyz"))[0] != 200:
                assert time.monotonic() < deadline
                await asyncio.sleep(0.05)
            assert await get(session, base + "/graphql", **graphql) == (
                200,
                {"data": {"__typename": "Query"}},
            )
            server.send_signal(signal.SIGTERM)
            await asyncio.sleep(0.3)
            # Draining: not ready, so the load balancer stops sending; still alive and serving,
            # and a SIGHUP now ends nothing either.
            status, ready = await get(session, base + "/readyz")
            assert status == 503 and ready["status"] == "draining"
            server.send_signal(signal.SIGHUP)
            assert (await get(session, base + "/livez"))[0] == 200
            assert (await get(session, base + "/graphql", **graphql))[0] == 200
        assert await asyncio.wait_for(server.wait(), 20) == 0
    finally:
        other.close()
        if server.returncode is None:
            server.kill()
            await server.wait()


async def test_readyz_is_503_while_the_store_fails_and_ready_again_after(world: World) -> None:
    settings = Settings(store_url=world.store.url, demo=False, rate_limit=0)
    async for gateway in serve(create_app(settings, clock=fixed_clock)):
        assert (await probe(gateway, "/readyz"))[1]["status"] == "ready"
        # The store's own table under the watch goes away (on either backend): the watch fails.
        async with world.store.write() as db:
            await db.execute("ALTER TABLE tenant_versions RENAME TO gone")
        await asyncio.sleep(0.4)
        status, body = await probe(gateway, "/readyz")
        assert status == 503 and body["status"] == "store unreachable", body
        assert "tenant_versions" in body["reason"]
        assert (await probe(gateway, "/livez"))[0] == 200  # alive: a restart would not help
        async with world.store.write() as db:
            await db.execute("ALTER TABLE gone RENAME TO tenant_versions")
        assert (await until_ready(gateway))["status"] == "ready"
        status, health = await probe(gateway, "/healthz")  # kept as it was
        assert status == 200 and health["status"] == "ok" and health["store"] == "ok"
