"""How long the response cache keeps an answer: by what its windows say about the clock.

A dashboard over local days cannot change before today ends in its zone unless its data does
(which drops it at once), so it is kept until then, at most GATEWAY_CACHE_SETTLED_TTL_SECONDS;
a range that ends now moves with the clock and lives GATEWAY_CACHE_TTL_SECONDS, as before.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from gateway.config.settings import Settings
from gateway.http.app import create_app
from gateway.http.appkeys import CACHE
from tests.support.gateway import Gateway, World, serve, watched

DASHBOARD = (
    "query($z: String) { dashboard(period: DAYS_7, timezone: $z) { endDate totals { total } } }"
)
TRENDS = "{ sms { trends { date messages { total } } } }"
TRENDS_DATES = (
    '{ sms { trends(startDate: "2026-11-01", endDate: "2026-11-08") { date messages { total } } } }'
)
EMAIL = "{ email { dashboard(pastDays: 7) { emailsSent { value } } } }"


@dataclass
class Clocks:
    """The wall clock the resolvers read and the cache's own, moved together."""

    wall: datetime
    monotonic: float = 1000.0

    def advance(self, seconds: float) -> None:
        self.wall += timedelta(seconds=seconds)
        self.monotonic += seconds


@pytest.fixture
def clocks() -> Clocks:
    return Clocks(datetime(2026, 11, 22, 15, 0, tzinfo=UTC))


@pytest.fixture
async def cached(world: World, clocks: Clocks) -> AsyncIterator[Gateway]:
    settings = Settings(store_url=world.store.url, demo=False, cache_ttl_seconds=30)
    app = create_app(settings, clock=lambda: clocks.wall)
    async for running in serve(app):
        app[CACHE].clock = lambda: clocks.monotonic
        await watched(running, world.store)
        yield running


async def hit_after(gateway: Gateway, key: str, query: str, seconds: float, clocks: Clocks,
                    variables: dict[str, str] | None = None) -> bool:  # fmt: skip
    first = await gateway.query(key, query, variables)
    assert first.status == 200 and not first.codes and first.headers["x-cache"] == "miss"
    clocks.advance(seconds)
    again = await gateway.query(key, query, variables)
    assert again.status == 200 and not again.codes
    return again.headers.get("x-cache") == "hit"


async def test_a_dashboard_of_local_days_is_kept_past_the_ttl_until_its_day_ends(
    cached: Gateway, world: World, clocks: Clocks
) -> None:
    # 15:00 UTC is 20:45 in Kathmandu (+05:45): its day ends at 18:15 UTC.
    key, zone = world.keys["acme_sales"], {"z": "Asia/Kathmandu"}
    assert await hit_after(cached, key, DASHBOARD, 31, clocks, zone)
    clocks.advance(868)  # 899 s after it was kept: still
    assert (await cached.query(key, DASHBOARD, zone)).headers["x-cache"] == "hit"
    # Not past the settled TTL (900 s by default), however far the day's end.
    clocks.advance(2)
    assert (await cached.query(key, DASHBOARD, zone)).headers["x-cache"] == "miss"


async def test_a_dashboard_is_not_kept_past_the_end_of_its_day(
    cached: Gateway, world: World, clocks: Clocks
) -> None:
    clocks.advance(3 * 3600 + 14 * 60 + 50)  # 18:14:50 UTC: Kathmandu's 23:59:50
    zone = {"z": "Asia/Kathmandu"}
    key = world.keys["acme_sales"]
    assert await hit_after(cached, key, DASHBOARD, 9, clocks, zone)  # 23:59:59 still
    clocks.advance(1)  # midnight: a new day, a new window
    after = await cached.query(key, DASHBOARD, zone)
    assert after.headers.get("x-cache") != "hit"
    assert after.data["dashboard"]["endDate"] == "2026-11-23"


async def test_past_days_and_given_dates_are_kept_past_the_ttl(
    cached: Gateway, world: World, clocks: Clocks
) -> None:
    key = world.keys["acme_tenant"]
    assert await hit_after(cached, key, EMAIL, 60, clocks)
    assert await hit_after(cached, key, TRENDS_DATES, 600, clocks)


async def test_a_range_ending_now_lives_the_ttl(
    cached: Gateway, world: World, clocks: Clocks
) -> None:
    key = world.keys["acme_tenant"]
    assert await hit_after(cached, key, TRENDS, 29, clocks)
    other = TRENDS.replace("trends", 'trends(timezone: "Europe/Berlin")')
    assert not await hit_after(cached, key, other, 31, clocks)


async def test_a_ttl_of_zero_still_turns_the_cache_off(world: World) -> None:
    settings = Settings(store_url=world.store.url, demo=False, cache_ttl_seconds=0)
    async for running in serve(create_app(settings)):
        for _ in range(2):
            answer = await running.query(world.keys["acme_sales"], DASHBOARD)
            assert answer.status == 200 and answer.headers.get("x-cache") != "hit"
