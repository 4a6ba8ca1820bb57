"""Interval sums kept while their tenant's data version stands: a zone of an offset asked
before reads none of its days from the store again, data that moves is read afresh, and the
memory they take is bounded."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from gateway.domain.messages import DailySeries
from gateway.domain.numbers import DashboardRequest, NumberDashboard, NumberRef
from gateway.domain.sms import RangeRequest
from gateway.domain.timewindows import DayWindow, Period
from gateway.providers.native import Store
from gateway.providers.native.dashboards import daily_series
from gateway.providers.native.intervals import KeptSums
from gateway.providers.native.provider import NativeProvider
from gateway.providers.native.sms import best_send_times
from gateway.providers.native.tenancy import Tenancy
from gateway.providers.versions import TenantVersions, VersionedMemo
from tests.support.gateway import ingest
from tests.support.reports import (
    dumped,
    reference_best_send_times,
    reference_daily_series,
    seed_traffic,
)

TENANT = "kept"
NOW = datetime(2026, 4, 12, 13, 37, 21, tzinfo=UTC)
# Two zones of one offset all year (+04:00, no DST), and one of another.
DUBAI, MAURITIUS, KOLKATA = "Asia/Dubai", "Indian/Mauritius", "Asia/Kolkata"


class Counted:
    """The store, counting the reads sent to it."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.reads = 0
        self.during_read: list[Any] = []  # called once, inside the next read

    async def fetch_all(self, sql: str, params: Sequence[object] = ()) -> Any:
        self.reads += 1
        while self.during_read:
            self.during_read.pop()()
        return await self.store.fetch_all(sql, params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


async def seeded(store: Store) -> list[int]:
    await Tenancy(store).create_tenant(TENANT, "Kept")
    await seed_traffic(store, TENANT, NOW, 100)
    rows = await store.fetch_all("SELECT id FROM numbers WHERE tenant_id = ? ORDER BY id", [TENANT])
    return [int(row[0]) for row in rows]


def window(zone: str, days: int = 90) -> DayWindow:
    today = NOW.astimezone(ZoneInfo(zone)).date()
    return DayWindow.from_dates(today - timedelta(days=days - 1), today, ZoneInfo(zone))


async def series(
    store: Store, numbers: list[int], zone: str, kept: KeptSums | None, days: int = 90
) -> dict[int, DailySeries]:
    return await daily_series(store, numbers, window(zone, days), kept=kept, tenant_id=TENANT)


async def test_a_zone_of_an_offset_asked_before_reads_nothing(store: Store) -> None:
    numbers = await seeded(store)
    counted = Counted(store)
    kept = KeptSums(TenantVersions())
    first = await series(counted, numbers, DUBAI, kept)
    assert counted.reads >= 1
    assert len(kept) == 90 * len(numbers)  # a sum per day and number
    counted.reads = 0
    again = await series(counted, numbers, MAURITIUS, kept)
    assert counted.reads == 0
    assert {n: dumped(s) for n, s in again.items()} == {n: dumped(s) for n, s in first.items()}
    # A shorter window of the same zone: its days are all kept too.
    shorter = await series(counted, numbers, MAURITIUS, kept, 30)
    assert shorter[numbers[0]].totals().total > 0
    assert counted.reads == 0
    # Another offset's days are other intervals: read, and then kept beside the first.
    kolkata = await series(counted, numbers, KOLKATA, kept)
    assert counted.reads >= 1
    assert len(kept) == 180 * len(numbers)
    slow = await reference_daily_series(store, numbers, window(KOLKATA))
    assert {n: dumped(s) for n, s in kolkata.items()} == {n: dumped(s) for n, s in slow.items()}


async def test_data_that_moves_is_read_again(store: Store) -> None:
    numbers = await seeded(store)
    versions = TenantVersions()
    kept = KeptSums(versions)
    before = await series(store, numbers, DUBAI, kept)
    sent = NOW - timedelta(days=3)
    await ingest(
        store,
        {
            "type": "whatsapp.message",
            "tenant": TENANT,
            "number": "+15550000000",
            "messageId": "wa-late",
            "sentAt": sent.isoformat(),
            "status": "sent",
        },
    )
    # Without the version moving, the kept days stand (the store watch moves it within 0.1 s).
    stale = await series(store, numbers, MAURITIUS, kept)
    assert {n: dumped(s) for n, s in stale.items()} == {n: dumped(s) for n, s in before.items()}
    versions.invalidate(TENANT)
    after = await series(store, numbers, MAURITIUS, kept)
    slow = await reference_daily_series(store, numbers, window(MAURITIUS))
    assert {n: dumped(s) for n, s in after.items()} == {n: dumped(s) for n, s in slow.items()}
    assert sum(s.totals().total for s in after.values()) == (
        sum(s.totals().total for s in before.values()) + 1
    )


async def test_sums_read_while_the_data_moved_are_not_kept(store: Store) -> None:
    numbers = await seeded(store)
    counted = Counted(store)
    versions = TenantVersions()
    kept = KeptSums(versions)
    counted.during_read.append(lambda: versions.invalidate(TENANT))
    moved = await series(counted, numbers, DUBAI, kept)
    assert len(kept) == 0
    slow = await reference_daily_series(store, numbers, window(DUBAI))
    assert {n: dumped(s) for n, s in moved.items()} == {n: dumped(s) for n, s in slow.items()}


async def test_the_kept_sums_are_bounded(store: Store) -> None:
    numbers = await seeded(store)
    one, rest = numbers[:1], numbers[1:]  # two sets of sums: one per list of numbers
    counted = Counted(store)
    kept = KeptSums(TenantVersions(), max_sums=90 * len(numbers))
    await series(counted, one, DUBAI, kept)
    await series(counted, rest, DUBAI, kept)
    assert len(kept) == 90 * len(numbers)  # at the bound: both kept
    counted.reads = 0
    await series(counted, one, MAURITIUS, kept)
    await series(counted, rest, MAURITIUS, kept)
    assert counted.reads == 0
    # Just past it: the set asked least recently (the first) goes.
    await series(counted, rest, KOLKATA, kept, 1)
    assert len(kept) == 91 * len(rest)
    counted.reads = 0
    await series(counted, rest, MAURITIUS, kept)
    assert counted.reads == 0
    await series(counted, one, MAURITIUS, kept)
    assert counted.reads == 1


async def test_the_served_provider_keeps_sums_across_zones(store: Store) -> None:
    numbers = await seeded(store)
    counted = Counted(store)
    provider = NativeProvider(counted, memo=VersionedMemo(TenantVersions()))

    def asked(zone: str) -> list[DashboardRequest]:
        today = NOW.astimezone(ZoneInfo(zone)).date()
        return [
            DashboardRequest(
                number=NumberRef(source="native", tenant_id=TENANT, number_id=n),
                period=Period.DAYS_90,
                timezone=zone,
                today=today,
            )
            for n in numbers
        ]

    first = await provider.load_dashboards(asked(DUBAI))
    counted.reads = 0
    again = await provider.load_dashboards(asked(MAURITIUS))
    assert counted.reads == 0
    days = [
        [dumped(d.series) for d in got if isinstance(d, NumberDashboard)] for got in (first, again)
    ]
    assert len(days[0]) == len(numbers)
    assert days[0] == days[1]
    # Without the memo (GATEWAY_DASHBOARD_MEMO=false) nothing is kept.
    plain = NativeProvider(counted)
    await plain.load_dashboards(asked(MAURITIUS))
    assert counted.reads > 0


async def test_best_send_times_of_an_offset_asked_before_read_nothing(store: Store) -> None:
    await seeded(store)
    counted = Counted(store)
    kept = KeptSums(TenantVersions())
    end = NOW.replace(minute=0, second=0)  # on the grid: no slivers to count from messages

    def asked(zone: str) -> RangeRequest:
        start = end - timedelta(days=90)
        return RangeRequest(source="native", tenant_id=TENANT, start=start, end=end, timezone=zone)

    first = await best_send_times(counted, asked(DUBAI), kept)
    assert counted.reads == 1
    counted.reads = 0
    again = await best_send_times(counted, asked(MAURITIUS), kept)
    assert counted.reads == 0
    assert dumped(again) == dumped(first)
    assert dumped(again) == dumped(await reference_best_send_times(store, asked(MAURITIUS)))
    other = await best_send_times(counted, asked(KOLKATA), kept)
    assert counted.reads == 1
    assert dumped(other) == dumped(await reference_best_send_times(store, asked(KOLKATA)))
