"""Two gateway processes on their own ports, sharing one store (a SQLite file, or a PostgreSQL
database as replicas on several machines would) and one Redis: a key's rate holds across both,
and a webhook taken by one reaches the other's cache and subscriber at once (the store watch is
slowed to a minute, so only Redis can carry it in time)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest

from gateway.http.webhooks import SIGNATURE_HEADER, sign
from tests.support.gateway import BACKENDS
from tests.support.live import start_gateway
from tests.support.pg import create_database
from tests.support.sockets import PROTOCOL, Socket

WEEK = "{ dashboard(period: DAYS_7) { totals { total } } }"


async def ask(
    session: aiohttp.ClientSession, url: str, key: str
) -> tuple[int, dict[str, str], int]:
    async with session.post(url, json={"query": WEEK}, headers={"x-api-key": key}) as response:
        body = await response.json()
        total = body["data"]["dashboard"]["totals"]["total"] if response.status == 200 else -1
        return response.status, dict(response.headers), total


@pytest.mark.parametrize("backend", BACKENDS)
async def test_two_replicas_share_rate_limits_caches_and_subscribers(
    tmp_path: Path, redis_url: str, backend: str, request: pytest.FixtureRequest
) -> None:
    store = {}
    if backend == "postgresql":
        server = request.getfixturevalue("postgres")
        # Each replica has a data directory of its own: only the server is shared.
        store = {"GATEWAY_STORE_URL": await create_database(server)}
    env = {
        **store,
        "GATEWAY_REDIS_URL": redis_url,
        "GATEWAY_STORE_WATCH_SECONDS": "60",
        "GATEWAY_RATE_LIMIT": "1",
        "GATEWAY_RATE_LIMIT_BURST": "3",
        "GATEWAY_CACHE_TTL_SECONDS": "30",
    }
    dirs = (tmp_path, tmp_path / "b") if store else (tmp_path, tmp_path)
    a = start_gateway(dirs[0], env=env)  # seeds the demo tenant and prints its keys
    b = start_gateway(dirs[1], "--no-demo", env=env, wait_for="graphql")
    try:
        creating = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "gateway", "webhooks", "create", "--tenant", "demo"),
            *("--platform", "pilotstatus", "--data-dir", str(tmp_path)),
            stdout=subprocess.PIPE,
            env={**os.environ, **store},
        )
        hook = json.loads((await creating.communicate())[0])
        tenant, number = a.keys["tenant"], a.keys["number"]
        async with aiohttp.ClientSession() as session:
            # The tenant key's burst of three, spent on both replicas; then 429 from either.
            viewer = {"query": "{ viewer { tenantId } }"}
            statuses = []
            for url in (a.url, b.url, a.url, b.url):
                async with session.post(url, json=viewer, headers={"x-api-key": tenant}) as r:
                    statuses.append(r.status)
            assert statuses == [200, 200, 200, 429]

            # B caches the number's week, and follows it live.
            _, _, before = await ask(session, b.url, number)
            status, headers, again = await ask(session, b.url, number)
            assert status == 200 and headers["x-cache"] == "hit" and again == before
            async with session.ws_connect(b.url, protocols=[PROTOCOL]) as ws:
                socket = Socket(ws)
                await socket.send({"type": "connection_init", "payload": {"x-api-key": number}})
                assert (await socket.receive())["type"] == "connection_ack"
                subscription = {
                    "query": "subscription { dashboard(period: DAYS_7) { totals { total } } }"
                }
                await socket.send({"type": "subscribe", "id": "1", "payload": subscription})
                first = await socket.receive()
                assert first["payload"]["data"]["dashboard"]["totals"]["total"] == before

                # A webhook taken by A.
                event = {
                    "event": "message.sent",
                    "messageId": "replica-1",
                    "from": "+5511955550101",
                    "timestamp": datetime.now(UTC).isoformat(),
                }
                body = json.dumps([event]).encode()
                async with session.post(
                    a.url.replace("/graphql", f"/webhooks/{hook['name']}"),
                    data=body,
                    headers={SIGNATURE_HEADER: sign(hook["secret"], body)},
                ) as response:
                    assert response.status == 200, await response.text()
                pushed = await socket.receive()  # within 5 s, not the watch's minute
                assert pushed["payload"]["data"]["dashboard"]["totals"]["total"] == before + 1
            # The subscription was the number key's third operation; a token comes back a second.
            await asyncio.sleep(1.1)
            status, headers, after = await ask(session, b.url, number)
            assert status == 200 and headers.get("x-cache") != "hit" and after == before + 1
    finally:
        b.stop()
        a.stop()
