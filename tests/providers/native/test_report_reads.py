"""What the native store's tenant-wide reports read: counts per day from the store, never the
tenant's rows one by one (which held the event loop for seconds at 45,000 campaigns), and a
tenant's own rollup rather than each of its numbers' (which held the store for seconds at
10,000 numbers)."""

from __future__ import annotations

import statistics
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from gateway.domain.campaigns import CampaignPageRequest
from gateway.domain.messages import (
    DailyDelivery,
    DeliveryCounts,
    MessageStatus,
    OutboundMessage,
    StatusUpdate,
)
from gateway.domain.sms import RangeRequest
from gateway.providers.native import Store
from gateway.providers.native.campaigns import campaigns_page
from gateway.providers.native.channels import whatsapp_daily
from gateway.providers.native.ingest import record_messages
from gateway.providers.native.sms import best_send_times, overview, trends
from gateway.providers.native.store import Row, Transaction
from gateway.providers.native.tenancy import Tenancy
from tests.support.production import record_statuses

ZONE = "Asia/Kathmandu"
START = datetime(2026, 3, 1, tzinfo=ZoneInfo(ZONE)).astimezone(UTC)
STATUSES = ("completed", "failed", "draft", "sending")


class RowCountingStore:
    """A store that counts the rows its reads hand back to Python."""

    def __init__(self, store: Store) -> None:
        self.inner = store
        self.url, self.kind, self.refusals = store.url, store.kind, store.refusals
        self.outages = store.outages
        self.read_count = 0
        self.rows = 0

    def write(self) -> AbstractAsyncContextManager[Transaction]:
        return self.inner.write()

    async def fetch_all(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        rows = await self.inner.fetch_all(sql, params)
        self.rows += len(rows)
        return rows

    async def fetch_one(self, sql: str, params: Sequence[object] = ()) -> Row | None:
        self.rows += 1
        return await self.inner.fetch_one(sql, params)

    async def bump_versions(self, db: Transaction, tenant_ids: Iterable[str]) -> None:
        await self.inner.bump_versions(db, tenant_ids)

    async def versions_if_changed(self) -> dict[str, int] | None:
        return await self.inner.versions_if_changed()

    async def close(self) -> None:
        await self.inner.close()


async def add_campaigns(store: Store, count: int) -> Counter[tuple[str, str]]:
    """`count` SMS campaigns of acme, every 7 minutes from START (beside email campaigns and
    another tenant's); returns how many were created per (local day, status)."""
    tenancy = Tenancy(store)
    for tenant in ("acme", "globex"):
        await tenancy.create_tenant(tenant, tenant)
    rows, expected = [], Counter[tuple[str, str]]()
    for i in range(count):
        created = START + timedelta(minutes=7 * i)
        status = STATUSES[i % len(STATUSES)]
        for tenant, channel in (("acme", "sms"), ("acme", "email"), ("globex", "sms")):
            rows.append((tenant, channel, f"c{i}", f"Campaign {i}", status, created.timestamp()))
        expected[created.astimezone(ZoneInfo(ZONE)).date().isoformat(), status] += 1
    async with store.write() as db:
        await db.executemany(
            "INSERT INTO campaigns (tenant_id, channel, external_id, name, status, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(*row[:5], int(row[5])) for row in rows],
        )
    return expected


def request(days: int) -> RangeRequest:
    return RangeRequest(
        source="native",
        tenant_id="acme",
        start=START,
        end=START + timedelta(days=days),
        timezone=ZONE,
    )


async def test_trends_count_campaigns_per_day_in_the_store(store: Store) -> None:
    expected = await add_campaigns(store, 900)  # 4.4 days of them
    counting = RowCountingStore(store)
    days = await trends(counting, request(7))
    found = {
        (day.day.isoformat(), status): getattr(day.campaigns, status)
        for day in days
        for status in STATUSES
        if getattr(day.campaigns, status)
    }
    assert found == dict(expected)
    assert days[0].day.isoformat() == "2026-03-01" and len(days) == 7
    # The day's sums and a count per day and status: not one row per campaign.
    assert counting.rows <= 7 + 7 * len(STATUSES), counting.rows


async def test_overview_counts_campaigns_by_status_in_the_store(store: Store) -> None:
    expected = await add_campaigns(store, 900)
    counting = RowCountingStore(store)
    answer = await overview(counting, request(2))
    two_days = Counter[str]()
    for (day, status), n in expected.items():
        if day < "2026-03-03":
            two_days[status] += n
    assert answer.campaigns.model_dump() == {
        s: two_days.get(s, 0) for s in answer.campaigns.model_dump()
    }
    assert answer.campaigns.total == sum(two_days.values()) > 400
    assert counting.rows <= 2 + len(STATUSES), counting.rows


async def whatsapp_tenants(store: Store, messages: int, many: int) -> None:
    """Tenant "one" sends `messages` WhatsApp messages from one number; tenant "many" the same
    messages (same times and statuses) from `many` numbers."""
    tenancy = Tenancy(store)
    for tenant in ("one", "many"):
        await tenancy.create_tenant(tenant, tenant)
    async with store.write() as db:
        await db.executemany(
            "INSERT INTO numbers (tenant_id, phone_number, created_at) VALUES (?, ?, 0)",
            [("one", "+1000")] + [("many", f"+2{i:05d}") for i in range(many)],
        )
    ids = {
        tenant: [row[0] for row in await store.fetch_all(
            "SELECT id FROM numbers WHERE tenant_id = ? ORDER BY id", (tenant,)
        )]
        for tenant in ("one", "many")
    }  # fmt: skip
    batch = [
        OutboundMessage(
            tenant_id=tenant,
            number_id=ids[tenant][i % len(ids[tenant])],
            external_id=f"m{i}",
            sent_at=START + timedelta(minutes=97 * i),
            status=MessageStatus(1 + i % 4),
        )
        for tenant in ("one", "many")
        for i in range(messages)
    ]
    await record_messages(store, batch)
    await record_statuses(
        store,
        [
            StatusUpdate(tenant_id=tenant, external_id=f"m{i}", status=MessageStatus.READ)
            for tenant in ("one", "many")
            for i in range(0, messages, 3)
        ],
    )


def whatsapp_request(tenant: str, days: int) -> RangeRequest:
    # Ending off the 15-minute grid, as a range ending now does: its last minutes come from
    # the messages themselves.
    return request(days).model_copy(
        update={"tenant_id": tenant, "end": START + timedelta(days=days, minutes=7)}
    )


async def test_tenant_wide_whatsapp_costs_the_same_with_5000_numbers(store: Store) -> None:
    await whatsapp_tenants(store, messages=5000, many=5000)
    answers: dict[str, list[DailyDelivery]] = {}
    timings: dict[str, list[float]] = {"one": [], "many": []}
    for _ in range(11):  # interleaved, medians compared: noise falls on both sides
        for tenant in ("one", "many"):
            started = time.perf_counter()
            answers[tenant] = await whatsapp_daily(store, whatsapp_request(tenant, 90))
            timings[tenant].append(time.perf_counter() - started)
    assert answers["one"] == answers["many"]
    total = sum((d.counts for d in answers["many"]), DeliveryCounts())
    assert total.total == sum(1 for i in range(5000) if i * 97 < 90 * 1440 + 7)
    assert total.read == sum(1 for i in range(total.total) if i % 3 == 0 or i % 4 == 3)
    ratio = statistics.median(timings["many"]) / statistics.median(timings["one"])
    assert ratio < 3, timings  # summed over every number's buckets it was 74 to 165


async def test_tenant_rollup_is_the_sum_of_its_numbers(store: Store) -> None:
    await whatsapp_tenants(store, messages=400, many=7)
    per_number = await store.fetch_all(
        "SELECT n.tenant_id, b.bucket, sum(b.queued), sum(b.sent), sum(b.failed), "
        "sum(b.delivered), sum(b.read) FROM message_buckets AS b JOIN numbers AS n "
        "ON n.id = b.number_id GROUP BY n.tenant_id, b.bucket ORDER BY 1, 2"
    )
    per_tenant = await store.fetch_all(
        "SELECT tenant_id, bucket, queued, sent, failed, delivered, read "
        "FROM tenant_message_buckets ORDER BY 1, 2"
    )
    assert [tuple(map(str, r)) for r in per_tenant] == [tuple(map(str, r)) for r in per_number]
    assert len(per_tenant) == 800


async def test_a_page_of_campaigns_costs_the_same_among_20000(store: Store) -> None:
    tenancy = Tenancy(store)
    for tenant, count in (("few", 30), ("many", 20_000)):
        await tenancy.create_tenant(tenant, tenant)
        async with store.write() as db:
            await db.executemany(
                "INSERT INTO campaigns (tenant_id, channel, external_id, name, status, "
                "created_at) VALUES (?, ?, ?, ?, 'completed', ?)",
                [
                    (tenant, ("sms", "email")[i % 2], f"c{i}", f"C {i}", 1_700_000_000 + 60 * i)
                    for i in range(count)
                ],
            )
    timings: dict[str, list[float]] = {"few": [], "many": []}
    pages = {}
    for _ in range(11):  # interleaved, medians compared
        for tenant in ("few", "many"):
            started = time.perf_counter()
            pages[tenant] = await campaigns_page(
                store, CampaignPageRequest(tenant_id=tenant, size=20)
            )
            timings[tenant].append(time.perf_counter() - started)
    assert [c.name for c in pages["many"].campaigns] == [
        f"C {i}" for i in range(19_999, 19_979, -1)
    ]
    assert pages["many"].has_next and pages["few"].has_next
    ratio = statistics.median(timings["many"]) / statistics.median(timings["few"])
    assert ratio < 3, timings


class StatementRecordingStore(RowCountingStore):
    """A store that keeps the text of every read it is asked."""

    def __init__(self, store: Store) -> None:
        super().__init__(store)
        self.statements: list[str] = []

    async def fetch_all(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        self.statements.append(sql)
        return await super().fetch_all(sql, params)

    async def fetch_one(self, sql: str, params: Sequence[object] = ()) -> Row | None:
        self.statements.append(sql)
        return await super().fetch_one(sql, params)


async def test_trends_asked_for_messages_alone_count_no_campaign(store: Store) -> None:
    """The channel comparison reads each day's SMS messages alone: the store is not asked to
    count a tenant's campaigns (at 45,000 of them in 90 days, the comparison's one cost that
    grew with the tenant), and the messages are the same as the whole trends'."""
    await add_campaigns(store, 900)
    whole = await trends(store, request(7))
    recording = StatementRecordingStore(store)
    alone = await trends(recording, request(7).model_copy(update={"messages_only": True}))
    assert [d.messages for d in alone] == [d.messages for d in whole]
    assert [d.day for d in alone] == [d.day for d in whole]
    assert all(
        d.campaigns.model_dump() == dict.fromkeys(d.campaigns.model_dump(), 0) for d in alone
    )
    assert any(sum(d.campaigns.model_dump().values()) for d in whole)
    assert not any("campaigns" in sql for sql in recording.statements), recording.statements


async def test_best_send_times_read_a_few_rows_per_offset_not_every_bucket(store: Store) -> None:
    """90 days of SMS traffic every 7 minutes (some 8,600 buckets): the store hands back at
    most one row per local hour and weekday for each offset the zone has in the window (New
    York has two there), not one per bucket, and the slivers' messages."""
    await Tenancy(store).create_tenant("acme", "acme")
    sent = [
        datetime(2026, 1, 10, 9, 2, tzinfo=UTC) + timedelta(minutes=7 * i) for i in range(18_600)
    ]
    async with store.write() as db:
        await db.executemany(
            "INSERT INTO sms_messages (tenant_id, external_id, sent_at, status) "
            "VALUES (?, ?, ?, 2)",
            [("acme", f"s{i}", int(at.timestamp())) for i, at in enumerate(sent)],
        )
        await db.execute(
            "INSERT INTO sms_buckets (tenant_id, bucket, sent) SELECT tenant_id, sent_at / 900, "
            "count(*) FROM sms_messages GROUP BY tenant_id, sent_at / 900"
        )
    counting = RowCountingStore(store)
    window = RangeRequest(
        source="native",
        tenant_id="acme",
        start=datetime(2026, 1, 20, 0, 4, tzinfo=UTC),
        end=datetime(2026, 4, 20, 0, 3, tzinfo=UTC),
        timezone="America/New_York",
    )
    best = await best_send_times(counting, window)
    expected = sum(1 for at in sent if window.start <= at < window.end)
    assert sum(slot.counts.total for slot in best.by_hour) == expected > 16_000
    assert counting.rows <= 2 * 24 * 7 + 2, counting.rows
