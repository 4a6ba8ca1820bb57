"""The response cache: hits skip the work, never cross tenants or keys, and go stale on ingest."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gateway.config.settings import Settings
from gateway.http.app import create_app
from gateway.http.cache import ENTRY_OVERHEAD, ResponseCache
from gateway.providers.native.webhook_sources import WebhookSources
from tests.support.gateway import Gateway, World, fixed_clock, ingest, serve, watched
from tests.support.webhooks import post

QUERY = "{ dashboard(period: DAYS_7) { totals { total } } }"


@pytest.fixture
async def cached(world: World, tmp_path: Path) -> AsyncIterator[Gateway]:
    settings = Settings(store_url=world.store.url, demo=False, cache_ttl_seconds=30)
    async for running in serve(create_app(settings, clock=fixed_clock)):
        yield running


async def test_a_repeated_query_is_a_hit_with_the_same_bytes(cached: Gateway, world: World) -> None:
    await world.send("sales", "m1", datetime(2026, 11, 21, 10, tzinfo=UTC))
    await watched(cached, world.store)
    first = await cached.query(world.keys["acme_sales"], QUERY)
    second = await cached.query(world.keys["acme_sales"], QUERY)
    assert first.headers["x-cache"] == "miss" and second.headers["x-cache"] == "hit"
    assert first.body == second.body and second.data["dashboard"]["totals"]["total"] == 1
    assert second.headers["x-request-id"] != first.headers["x-request-id"]


async def test_answers_are_never_shared_across_tenants_or_keys(
    cached: Gateway, world: World
) -> None:
    await world.send("main", "g1", datetime(2026, 11, 21, 10, tzinfo=UTC))
    await watched(cached, world.store)
    acme = await cached.query(world.keys["acme_sales"], QUERY)
    globex = await cached.query(world.keys["globex_main"], QUERY)
    assert globex.headers.get("x-cache") != "hit"
    assert acme.data["dashboard"]["totals"]["total"] == 0
    assert globex.data["dashboard"]["totals"]["total"] == 1
    viewer = "{ viewer { keyHandle } }"
    one = await cached.query(world.keys["acme_tenant"], viewer)
    other = await cached.query(world.keys["acme_no_scopes"], viewer)
    assert one.data != other.data and other.headers.get("x-cache") != "hit"


async def test_answers_with_errors_are_not_kept(cached: Gateway, world: World) -> None:
    bad = '{ dashboard(timezone: "Mars/Base") { period } }'
    for _ in range(2):
        answer = await cached.query(world.keys["acme_sales"], bad)
        assert answer.codes == ["BAD_USER_INPUT"] and answer.headers.get("x-cache") != "hit"


async def test_a_webhook_invalidates_its_tenant_at_once(cached: Gateway, world: World) -> None:
    source = await WebhookSources(world.store).create("acme", "pilotstatus")
    assert (await cached.query(world.keys["acme_sales"], QUERY)).data["dashboard"]["totals"][
        "total"
    ] == 0
    status, _ = await post(
        cached,
        source,
        {
            "event": "message.sent",
            "messageId": "w1",
            "from": "+5511900000001",
            "timestamp": "2026-11-21T10:00:00Z",
        },
    )
    assert status == 200
    answer = await cached.query(world.keys["acme_sales"], QUERY)
    assert (
        answer.headers.get("x-cache") != "hit" and answer.data["dashboard"]["totals"]["total"] == 1
    )


async def test_ingest_from_another_process_invalidates_within_a_watch(
    cached: Gateway, world: World
) -> None:
    await cached.query(world.keys["acme_tenant"], "{ sms { overview { messages { total } } } }")
    # world.store is another connection, as `gateway import` in another process would be.
    await ingest(
        world.store,
        {
            "type": "sms.message",
            "tenant": "acme",
            "messageId": "s1",
            "sentAt": "2026-11-21T10:00:00Z",
            "status": "delivered",
        },
    )
    started = time.monotonic()
    while True:
        answer = await cached.query(
            world.keys["acme_tenant"], "{ sms { overview { messages { total } } } }"
        )
        if answer.data["sms"]["overview"]["messages"]["total"] == 1:
            break
        assert time.monotonic() - started < 1.0, "a stale answer outlived the watch"
        await asyncio.sleep(0.02)


def test_cache_evicts_least_recently_used_by_bytes_and_honours_ttl() -> None:
    now = [0.0]
    each = ENTRY_OVERHEAD + 1 + 100  # a one-letter key and a 100-byte answer
    cache = ResponseCache(max_bytes=4 * each, clock=lambda: now[0])
    for name in ("a", "b", "c", "d"):
        cache.put(name, "t", 0, b"x" * 100, ttl=10)
    assert cache.get("a") == b"x" * 100  # a is now the most recent
    cache.put("e", "t", 0, b"y" * 100, ttl=10)
    assert cache.get("b") is None and cache.get("a") is not None and cache.size == 4 * each
    now[0] = 11.0
    assert cache.get("a") is None
    cache.put("f", "t", 0, b"z", ttl=10)
    cache.invalidate("t")
    assert cache.get("f") is None
    cache.put("g", "t", 0, b"z", ttl=10)  # built before the invalidation: not kept
    assert cache.get("g") is None and len(cache) == 3
    cache.put("big", "t", 1, b"w" * 2 * each, ttl=10)  # over a quarter of the cache: not kept
    assert cache.get("big") is None


async def test_dashboards_are_reused_across_documents_until_the_data_moves(
    gateway: Gateway, world: World
) -> None:
    from gateway.http.appkeys import STORE

    app = gateway.server.app
    assert app is not None
    store = app[STORE]
    key = world.keys["acme_sales"]
    await gateway.query(key, "{ dashboard { totals { total } } }")
    before = store.read_count
    answer = await gateway.query(key, "{ dashboard { series { date sent } } }")
    # No read: the key's number and its dashboard came from the memo.
    assert "errors" not in answer.body and store.read_count == before
    await world.send("sales", "late", datetime(2026, 11, 21, 10, tzinfo=UTC))
    started = time.monotonic()
    while (await gateway.query(key, "{ dashboard { totals { total } } }")).data["dashboard"][
        "totals"
    ]["total"] != 1:
        assert time.monotonic() - started < 1.0, "a stale dashboard outlived the watch"
        await asyncio.sleep(0.02)
