"""Rate limits shared by replicas through Redis: a key's bucket holds across gateways, on a
real redis-server (the redis_server fixture in conftest.py)."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from gateway.config.settings import Settings
from gateway.http.app import create_app
from tests.support.gateway import Gateway, World, fixed_clock, serve


def settings(world: World, redis_url: str) -> Settings:
    return Settings(
        store_url=world.store.url,
        demo=False,
        cache_ttl_seconds=0,
        rate_limit=1,
        rate_limit_burst=3,
        redis_url=redis_url,
    )


@pytest.fixture
async def replicas(world: World, redis_url: str) -> AsyncIterator[tuple[Gateway, Gateway]]:
    async for a in serve(create_app(settings(world, redis_url), clock=fixed_clock)):
        async for b in serve(create_app(settings(world, redis_url), clock=fixed_clock)):
            yield a, b


async def test_a_keys_rate_holds_across_replicas(
    replicas: tuple[Gateway, Gateway], world: World
) -> None:
    a, b = replicas
    query = "{ viewer { tenantId } }"
    key = world.keys["acme_tenant"]
    # A burst of three, spent on both replicas; the fourth is refused whichever answers it.
    statuses = [(await gateway.query(key, query)).status for gateway in (a, b, a)]
    assert statuses == [200, 200, 200]
    refused = await b.query(key, query)
    assert refused.status == 429 and refused.codes == ["RATE_LIMITED"]
    assert int(refused.headers["retry-after"]) >= 1
    assert (await a.query(key, query)).status == 429
    # Another key has a bucket of its own.
    assert (await b.query(world.keys["acme_sales"], query)).status == 200
    await asyncio.sleep(1.1)  # one token a second comes back, for whichever replica
    assert (await b.query(key, query)).status == 200


async def test_without_redis_a_replica_counts_alone(
    world: World, redis_server: tuple[str, subprocess.Popen[bytes]]
) -> None:
    url, server = redis_server
    async for gateway in serve(create_app(settings(world, url), clock=fixed_clock)):
        key = world.keys["acme_sales"]
        assert (await gateway.query(key, "{ viewer { tenantId } }")).status == 200
        # Redis goes away: requests are still answered, this process counting for itself.
        server.terminate()
        server.wait()
        answers = [(await gateway.query(key, "{ viewer { tenantId } }")).status for _ in range(4)]
        assert answers == [200, 200, 200, 429]


async def test_a_webhook_on_one_replica_reaches_the_others_cache_and_subscribers(
    world: World, redis_url: str
) -> None:
    from gateway.providers.native.webhook_sources import WebhookSources
    from tests.support.gateway import NOW
    from tests.support.sockets import BOARD, PROTOCOL, Socket
    from tests.support.webhooks import post

    # The store watch is slowed to a minute, so only Redis can tell replica B in time.
    slow = {"store_watch_seconds": 60.0, "cache_ttl_seconds": 30.0, "rate_limit": 0}
    a_settings = settings(world, redis_url).model_copy(update=slow)
    b_settings = settings(world, redis_url).model_copy(update=slow)
    source = await WebhookSources(world.store).create("acme", "pilotstatus")
    key = world.keys["acme_sales"]
    week = "{ dashboard(period: DAYS_7) { totals { total } } }"
    async for a in serve(create_app(a_settings, clock=fixed_clock)):
        async for b in serve(create_app(b_settings, clock=fixed_clock)):
            await b.query(key, week)
            cached = await b.query(key, week)
            assert cached.headers["x-cache"] == "hit"
            assert cached.data["dashboard"]["totals"]["total"] == 0
            async with b.session.ws_connect(b.url, protocols=[PROTOCOL]) as ws:
                socket = Socket(ws)
                await socket.send({"type": "connection_init", "payload": {"x-api-key": key}})
                assert (await socket.receive())["type"] == "connection_ack"
                await socket.send({"type": "subscribe", "id": "1", "payload": {"query": BOARD}})
                assert (await socket.receive())["type"] == "next"
                sent = (NOW - timedelta(hours=1)).isoformat()
                event = {"event": "message.sent", "messageId": "r1", "from": "+5511900000001"}
                assert (await post(a, source, [{**event, "timestamp": sent}]))[0] == 200
                pushed = await socket.receive()  # within its 5 s, not the watch's minute
                assert pushed["payload"]["data"]["dashboard"]["totals"]["total"] == 1
            fresh = await b.query(key, week)
            assert fresh.headers["x-cache"] != "hit"
            assert fresh.data["dashboard"]["totals"]["total"] == 1
