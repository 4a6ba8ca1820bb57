"""Every report of the native store gives, byte for byte, what the straightforward computation
(tests/support/reports.py) gives: in zones with hard days and hours, over windows that cross
their DST changes, on traffic that arrived late, twice and out of order, on both backends;
and so do they when each reads through sums kept from the zones asked before it (the gateway's
`KeptSums`), so that a day another zone already summed is taken from what was kept."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gateway.domain.email import PastDaysRequest
from gateway.domain.sms import RangeRequest
from gateway.domain.timewindows import DayWindow, local_day_start, offset_segments
from gateway.providers.native import Store
from gateway.providers.native.channels import email_daily, whatsapp_daily
from gateway.providers.native.dashboards import daily_series
from gateway.providers.native.email import dashboard as email_dashboard
from gateway.providers.native.intervals import KeptSums
from gateway.providers.native.sms import best_send_times, trends
from gateway.providers.native.tenancy import Tenancy
from gateway.providers.versions import TenantVersions
from tests.support.reports import (
    DST_ZONES,
    dumped,
    reference_best_send_times,
    reference_daily,
    reference_daily_series,
    reference_email_dashboard,
    reference_trends,
    seed_traffic,
)

TENANT = "ref"
# Off the 15-minute grid, so ranges ending now have slivers; 110 days back holds the March and
# April changes of both hemispheres (and Casablanca's Ramadan ones).
NOW = datetime(2026, 4, 12, 13, 37, 21, tzinfo=UTC)
DAYS = 110


@pytest.fixture(params=["computed", "kept"])
def kept(request: pytest.FixtureRequest) -> KeptSums | None:
    """Nothing kept, or sums kept across every zone and window of the test."""
    return KeptSums(TenantVersions()) if request.param == "kept" else None


async def seeded(store: Store) -> list[int]:
    await Tenancy(store).create_tenant(TENANT, "Reference")
    assert await seed_traffic(store, TENANT, NOW, DAYS) > 5000
    rows = await store.fetch_all("SELECT id FROM numbers WHERE tenant_id = ? ORDER BY id", [TENANT])
    return [int(row[0]) for row in rows]


def changes(zone: str) -> list[datetime]:
    """The instants in the data's span at which the zone changed its offset."""
    start = int((NOW - timedelta(days=DAYS)).timestamp())
    segments = offset_segments(start, int(NOW.timestamp()), ZoneInfo(zone))
    return [datetime.fromtimestamp(lo, UTC) for lo, _, _ in segments[1:]]


def today(zone: str) -> date:
    return NOW.astimezone(ZoneInfo(zone)).date()


def day_windows(zone: str) -> Iterator[DayWindow]:
    tz = ZoneInfo(zone)
    for days in (1, 7, 30, 90):
        yield DayWindow.from_dates(today(zone) - timedelta(days=days - 1), today(zone), tz)
    for change in changes(zone):
        day = change.astimezone(tz).date()
        yield DayWindow.from_dates(day - timedelta(days=3), day + timedelta(days=3), tz)


def ranges(zone: str) -> Iterator[RangeRequest]:
    tz = ZoneInfo(zone)
    spans = [(NOW - timedelta(days=90), NOW), (NOW - timedelta(days=30), NOW)]
    for change in changes(zone):
        # Starting off the grid, and from local midnight to local midnight.
        spans.append((change - timedelta(days=3, minutes=7), change + timedelta(days=4)))
        day = change.astimezone(tz).date()
        spans.append((local_day_start(day - timedelta(days=2), tz), local_day_start(day, tz)))
        spans.append((local_day_start(day, tz), local_day_start(day + timedelta(days=1), tz)))
    for start, end in spans:
        yield RangeRequest(source="native", tenant_id=TENANT, start=start, end=end, timezone=zone)


def zones_with_changes() -> None:
    assert all(changes(z) for z in DST_ZONES if z not in ("Asia/Kathmandu", "Asia/Kolkata", "UTC"))


async def test_the_sample_crosses_a_change_in_every_dst_zone() -> None:
    zones_with_changes()
    assert len(changes("Australia/Lord_Howe")) == 1  # its 30-minute change in April


async def test_dashboards_match_the_reference_in_every_zone(
    store: Store, kept: KeptSums | None
) -> None:
    numbers = await seeded(store)
    compared = 0
    for zone in DST_ZONES:
        for window in day_windows(zone):
            fast = await daily_series(store, numbers, window, kept=kept, tenant_id=TENANT)
            slow = await reference_daily_series(store, numbers, window)
            for number in numbers:
                assert dumped(fast[number]) == dumped(slow[number]), (zone, window.days[0])
                assert fast[number].totals() == slow[number].totals()
                compared += fast[number].totals().total
    assert compared > 10_000
    assert kept is None or len(kept) > 0


async def test_trends_and_channels_match_the_reference_in_every_zone(
    store: Store, kept: KeptSums | None
) -> None:
    await seeded(store)
    counted = 0
    for zone in DST_ZONES:
        for request in ranges(zone):
            fast = await trends(store, request, kept)
            slow = await reference_trends(store, request)
            assert dumped(fast) == dumped(slow), (zone, request.start, request.end)
            alone = request.model_copy(update={"messages_only": True})
            assert dumped(await trends(store, alone, kept)) == dumped(
                await reference_trends(store, alone)
            )
            for channel, report in (("whatsapp", whatsapp_daily), ("email", email_daily)):
                fast_days = await report(store, request, kept)
                assert dumped(fast_days) == dumped(await reference_daily(store, request, channel))
                counted += sum(d.counts.total for d in fast_days)
            counted += sum(d.messages.total + d.campaigns.total for d in fast)
    assert counted > 10_000


async def test_best_send_times_match_the_reference_in_every_zone(
    store: Store, kept: KeptSums | None
) -> None:
    await seeded(store)
    counted = 0
    for zone in DST_ZONES:
        for request in ranges(zone):
            fast = await best_send_times(store, request, kept)
            slow = await reference_best_send_times(store, request)
            assert dumped(fast) == dumped(slow), (zone, request.start, request.end)
            counted += sum(slot.counts.total for slot in fast.by_hour)
    assert counted > 10_000


async def test_email_dashboard_matches_the_reference_in_every_zone(
    store: Store, kept: KeptSums | None
) -> None:
    await seeded(store)
    counted = 0
    for zone in DST_ZONES:
        days = [today(zone)] + [c.astimezone(ZoneInfo(zone)).date() for c in changes(zone)]
        for last in days:
            for past_days in (1, 7, 30, 90):
                request = PastDaysRequest(
                    source="native",
                    tenant_id=TENANT,
                    past_days=past_days,
                    timezone=zone,
                    today=last,
                )
                fast = await email_dashboard(store, request, kept)
                slow = await reference_email_dashboard(store, request)
                assert dumped(fast) == dumped(slow), (zone, last, past_days)
                counted += fast.current.counts.sent + (fast.current.campaigns_sent or 0)
    assert counted > 10_000
    assert kept is None or len(kept) > 0
