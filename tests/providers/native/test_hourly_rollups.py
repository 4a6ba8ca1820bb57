"""The hourly rollups: always the sums of their 15-minute rollups, whoever writes those, and what
the day-by-day reports read for every whole hour of a day."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from gateway.domain.sms import RangeRequest
from gateway.domain.timewindows import DayWindow
from gateway.providers.native import Store, open_store
from gateway.providers.native.channels import email_daily, whatsapp_daily
from gateway.providers.native.dashboards import daily_series
from gateway.providers.native.sms import trends
from gateway.providers.native.store import Row, Transaction
from gateway.providers.native.tenancy import Tenancy
from tests.support.reports import seed_traffic

NOW = datetime(2026, 4, 12, 13, 37, 21, tzinfo=UTC)
# (hourly rollup, its 15-minute rollup, key column, counters)
HOURLY = (
    ("message_hours", "message_buckets", "number_id", "queued, sent, failed, delivered, read"),
    (
        "tenant_message_hours",
        "tenant_message_buckets",
        "tenant_id",
        "queued, sent, failed, delivered, read",
    ),
    ("sms_hours", "sms_buckets", "tenant_id", "queued, sent, failed, delivered"),
    (
        "email_hours",
        "email_buckets",
        "campaign_id",
        "tenant_id, sent, opens, unique_opens, clicks, unique_clicks, soft_bounces, "
        "hard_bounces, unsubscribes, cohort_bounced",
    ),
)


async def hours_and_their_quarters(
    store: Store, hours: str, buckets: str, key: str, counters: str
) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    sums = ", ".join(
        c if c == "tenant_id" else f"CAST(sum({c}) AS BIGINT)" for c in counters.split(", ")
    )
    carried = ", tenant_id" if "tenant_id" in counters else ""
    folded = await store.fetch_all(
        f"SELECT {key}, bucket / 4, {sums} FROM {buckets} GROUP BY {key}, bucket / 4{carried} "
        "ORDER BY 1, 2"
    )
    kept = await store.fetch_all(f"SELECT {key}, hour, {counters} FROM {hours} ORDER BY 1, 2")
    # An hour whose quarters were all removed stays, at zero: rows of zeros say nothing.
    return _counted(kept), _counted(folded)


def _counted(rows: Sequence[Row]) -> list[tuple[str, ...]]:
    return [
        tuple(map(str, row))
        for row in rows
        if any(isinstance(v, int) and v != 0 for v in list(row)[2:])
    ]


async def test_hourly_rollups_are_the_sums_of_their_quarters(store: Store) -> None:
    """After traffic that arrived late, twice and out of order, and after a rollup row is
    changed and removed by hand, as a repair would."""
    await Tenancy(store).create_tenant("acme", "Acme")
    await seed_traffic(store, "acme", NOW, 40)
    async with store.write() as db:
        await db.execute("UPDATE sms_buckets SET sent = sent + 5 WHERE bucket % 7 = 0")
        await db.execute("DELETE FROM message_buckets WHERE bucket % 5 = 0")
    for hours, buckets, key, counters in HOURLY:
        kept, folded = await hours_and_their_quarters(store, hours, buckets, key, counters)
        assert kept == folded, hours
        assert len(folded) > 100, hours


class StatementRecordingStore:
    """A store that keeps the text of every read it is asked."""

    def __init__(self, store: Store) -> None:
        self.inner = store
        self.url, self.kind, self.refusals = store.url, store.kind, store.refusals
        self.outages = store.outages
        self.read_count = 0
        self.statements: list[str] = []

    def write(self) -> AbstractAsyncContextManager[Transaction]:
        return self.inner.write()

    async def fetch_all(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        self.statements.append(sql)
        return await self.inner.fetch_all(sql, params)

    async def fetch_one(self, sql: str, params: Sequence[object] = ()) -> Row | None:
        self.statements.append(sql)
        return await self.inner.fetch_one(sql, params)

    async def bump_versions(self, db: Transaction, tenant_ids: Iterable[str]) -> None:
        await self.inner.bump_versions(db, tenant_ids)

    async def versions_if_changed(self) -> dict[str, int] | None:
        return await self.inner.versions_if_changed()

    async def close(self) -> None:
        await self.inner.close()


async def test_day_by_day_reports_read_whole_hours_from_the_hourly_rollups(store: Store) -> None:
    await Tenancy(store).create_tenant("acme", "Acme")
    await seed_traffic(store, "acme", NOW, 40)
    numbers = [int(r[0]) for r in await store.fetch_all("SELECT id FROM numbers")]
    recording = StatementRecordingStore(store)
    zone = ZoneInfo("Asia/Kathmandu")  # +05:45: every day also has quarters at its edges
    today = NOW.astimezone(zone).date()
    await daily_series(
        recording, numbers, DayWindow.from_dates(today - timedelta(days=29), today, zone)
    )
    request = RangeRequest(
        source="native",
        tenant_id="acme",
        start=NOW - timedelta(days=30),
        end=NOW,
        timezone=zone.key,
        messages_only=True,
    )
    await trends(recording, request)
    await whatsapp_daily(recording, request)
    await email_daily(recording, request)
    read = " ".join(recording.statements)
    for hours, buckets, _, _ in HOURLY:
        assert f"FROM {hours} WHERE" in read, hours
        assert f"FROM {buckets} WHERE" in read, buckets  # the edges' quarters


async def test_the_migration_sums_the_hours_of_a_store_that_has_traffic(store: Store) -> None:
    """A store with months of traffic from before the hourly rollups gets them summed from its
    15-minute rollups when it is migrated, and kept from then on."""
    await Tenancy(store).create_tenant("acme", "Acme")
    await seed_traffic(store, "acme", NOW, 40)
    async with store.write() as db:  # back to the store as it was before migration 0009
        for hours, *_ in HOURLY:
            if store.kind == "sqlite":
                for suffix in ("insert", "update", "move", "delete"):
                    await db.execute(f"DROP TRIGGER {hours}_{suffix}")
            else:
                for suffix in ("inserted", "updated", "removed"):
                    await db.execute(f"DROP FUNCTION {hours}_{suffix}() CASCADE")
            await db.execute(f"DROP TABLE {hours}")
        await db.execute("DELETE FROM schema_migrations WHERE version = 9")
    migrated = await open_store(store.url)
    try:
        await seed_traffic(migrated, "acme", NOW + timedelta(days=3), 5, seed=6)
        for hours, buckets, key, counters in HOURLY:
            kept, folded = await hours_and_their_quarters(migrated, hours, buckets, key, counters)
            assert kept == folded and len(folded) > 100, hours
    finally:
        await migrated.close()
