"""A dashboard's series is read from its flat counts, without a DailyDelivery per day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from gateway.config.settings import Settings
from gateway.domain.messages import DailySeries, DeliveryCounts, MessageStatus
from gateway.http.app import create_app
from tests.support.gateway import World, fixed_clock, serve

QUERY = (
    '{ dashboard(period: DAYS_7, timezone: "Asia/Kathmandu") { series { date total sent '
    "delivered read failed queued deliveryRate readRate } } }"
)


def test_rows_are_the_points_counts() -> None:
    days = [date(2026, 3, 1) + timedelta(days=i) for i in range(4)]
    series = DailySeries(days, range(20))
    assert [(day, DeliveryCounts.of(*sums)) for day, *sums in series.rows()] == [
        (p.day, p.counts) for p in series
    ]
    assert list(series.rows())[1] == (days[1], 5, 6, 7, 8, 9)


async def test_the_series_view_builds_no_point_per_day(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent = datetime(2026, 11, 22, 10, tzinfo=UTC)
    await world.send("sales", "m1", sent, MessageStatus.READ)
    await world.send("sales", "m2", sent - timedelta(days=2), MessageStatus.FAILED)

    def no_point(self: DailySeries, i: int) -> object:
        raise AssertionError("a DailyDelivery was built for a view")

    settings = Settings(store_url=world.store.url, demo=False, cache_ttl_seconds=0)
    async for gateway in serve(create_app(settings, clock=fixed_clock)):
        monkeypatch.setattr(DailySeries, "_point", no_point)
        answer = await gateway.query(world.keys["acme_sales"], QUERY)
        assert answer.status == 200 and not answer.codes, answer.body
        days = answer.data["dashboard"]["series"]
        assert [d["date"] for d in days][-1] == "2026-11-22" and len(days) == 7
        assert days[-1] == {
            "date": "2026-11-22",
            "total": 1,
            "sent": 1,
            "delivered": 1,
            "read": 1,
            "failed": 0,
            "queued": 0,
            "deliveryRate": 100.0,
            "readRate": 100.0,
        }
        assert days[-3]["failed"] == 1 and days[-3]["deliveryRate"] == 0.0
