"""The native store's reports computed the straightforward way, as the reference the fast ones
are held to byte for byte, and a tenant's traffic to compare them on.

The reference reads every 15-minute bucket of a window and places each in its local day or hour
in Python, by its start instant; a bucket that an interval's edge cuts (a range starting at
10:07, a zone whose midnight is off the grid) is counted from its rows one by one. Nothing of
the fast paths is shared: not the interval splitting, not the SQL that sums, not the offsets.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import TypeAdapter

from gateway.domain.campaigns import CampaignStatusCounts
from gateway.domain.email import EmailDashboard, EmailDashboardFigures, PastDaysRequest
from gateway.domain.events import parse_event
from gateway.domain.messages import DailyDelivery, DailySeries
from gateway.domain.sms import BestSendTimes, RangeRequest, SendTimeSlot, TrendDay
from gateway.domain.timewindows import BUCKET_SECONDS, DayWindow
from gateway.providers.native.channels import EMAIL_COHORT, TENANT_NUMBERS
from gateway.providers.native.channels import _email_counts as email_delivery
from gateway.providers.native.dashboards import counts as whatsapp_counts
from gateway.providers.native.dashboards import whatsapp_rollup
from gateway.providers.native.email import _SUMS as EMAIL_SUMS
from gateway.providers.native.email import _counts as email_counts
from gateway.providers.native.email import windows
from gateway.providers.native.ingest import apply_events
from gateway.providers.native.intervals import Rollup
from gateway.providers.native.sms import SMS_ROLLUP, sms_counts, time_range
from gateway.providers.native.store import Store, placeholders

__all__ = [
    "DST_ZONES",
    "dumped",
    "reference_best_send_times",
    "reference_daily",
    "reference_daily_series",
    "reference_email_dashboard",
    "reference_sums",
    "reference_trends",
    "seed_traffic",
]

# Zones whose days and hours are hard: DST in both hemispheres, a 30-minute DST (Lord Howe),
# +05:45 (Kathmandu), +05:30, -03:30 with DST (St John's), +12:45 with DST (Chatham), Santiago's
# moving DST, Casablanca's Ramadan changes, and UTC.
DST_ZONES = (
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "Asia/Kolkata",
    "America/St_Johns",
    "Pacific/Chatham",
    "America/Santiago",
    "Africa/Casablanca",
    "UTC",
)

Sums = tuple[int, ...]


def dumped(value: object) -> bytes:
    """A report's answer as JSON bytes, for comparing answers byte for byte."""
    if isinstance(value, DailySeries):
        value = list(value)
    return TypeAdapter(Any).dump_json(value)


async def reference_sums(
    store: Store, rollup: Rollup, params: Sequence[object], edges: Sequence[int]
) -> dict[object, list[Sums]]:
    """For each group, the sums over [edges[i], edges[i+1]): every bucket read and placed."""
    count = len(edges) - 1
    zero = (0,) * len(rollup.bucket_sums)
    totals: dict[object, list[Sums]] = {}

    def add(group: object, moment: int, values: Sequence[int]) -> None:
        index = bisect_right(edges, moment) - 1
        if 0 <= index < count:
            series = totals.setdefault(group, [zero] * count)
            series[index] = tuple(a + int(b) for a, b in zip(series[index], values, strict=True))

    group = rollup.group or "0"
    first, last = edges[0] // BUCKET_SECONDS, -(-edges[-1] // BUCKET_SECONDS)
    cut: set[int] = set()
    for row in await store.fetch_all(
        f"SELECT {group}, bucket, {', '.join(rollup.bucket_sums)} FROM {rollup.buckets} "
        f"WHERE {rollup.where} AND bucket >= ? AND bucket < ?",
        [*params, first, last],
    ):
        start = int(row[1]) * BUCKET_SECONDS
        index = bisect_right(edges, start) - 1
        if 0 <= index < count and start + BUCKET_SECONDS <= edges[index + 1]:
            add(row[0], start, row[2:])
        else:
            cut.add(int(row[1]))
    if rollup.rows:  # a rollup without rows cannot split a bucket: its cut buckets count nowhere
        for bucket in sorted(cut):
            for row in await store.fetch_all(
                f"SELECT {group}, {rollup.row_time}, {', '.join(rollup.row_sums)} "
                f"FROM {rollup.rows} WHERE {rollup.where} AND {rollup.row_where} "
                f"AND {rollup.row_time} >= ? AND {rollup.row_time} < ?",
                [*params, bucket * BUCKET_SECONDS, (bucket + 1) * BUCKET_SECONDS],
            ):
                add(row[0], int(row[1]), row[2:])
    return totals


async def reference_daily_series(
    store: Store, number_ids: Sequence[int], window: DayWindow
) -> dict[int, DailySeries]:
    rollup = whatsapp_rollup(f"number_id IN ({placeholders(number_ids)})", group="number_id")
    sums = await reference_sums(store, rollup, list(number_ids), window.boundaries())
    zero = [(0,) * 5] * len(window.days)
    return {
        n: DailySeries(window.days, [v for day in sums.get(n, zero) for v in day])
        for n in number_ids
    }


async def _campaigns_by_day(
    store: Store, tenant_id: str, edges: Sequence[int]
) -> list[dict[str, int]]:
    counted: list[dict[str, int]] = [{} for _ in range(len(edges) - 1)]
    for created_at, status in await store.fetch_all(
        "SELECT created_at, status FROM campaigns WHERE tenant_id = ? AND channel = 'sms' "
        "AND created_at >= ? AND created_at < ?",
        (tenant_id, edges[0], edges[-1]),
    ):
        day = counted[bisect_right(edges, int(created_at)) - 1]
        day[str(status)] = day.get(str(status), 0) + 1
    return counted


async def reference_trends(store: Store, request: RangeRequest) -> list[TrendDay]:
    window = time_range(request)
    days, edges = window.local_days(), window.day_edges()
    sums = (await reference_sums(store, SMS_ROLLUP, [request.tenant_id], edges)).get(
        0, [(0, 0, 0, 0)] * len(days)
    )
    per_day: list[dict[str, int]] = [{} for _ in days]
    if not request.messages_only:
        per_day = await _campaigns_by_day(store, request.tenant_id, edges)
    return [
        TrendDay(day=day, messages=sms_counts(values), campaigns=CampaignStatusCounts(**counted))
        for day, values, counted in zip(days, sums, per_day, strict=True)
    ]


async def reference_daily(store: Store, request: RangeRequest, channel: str) -> list[DailyDelivery]:
    """deliveryByChannel's WhatsApp or email days."""
    rollup = TENANT_NUMBERS if channel == "whatsapp" else EMAIL_COHORT
    window = time_range(request)
    days = window.local_days()
    sums = (await reference_sums(store, rollup, [request.tenant_id], window.day_edges())).get(
        0, [(0,) * len(rollup.bucket_sums)] * len(days)
    )
    to_counts = whatsapp_counts if channel == "whatsapp" else email_delivery
    return [DailyDelivery(day=d, counts=to_counts(v)) for d, v in zip(days, sums, strict=True)]


async def reference_email_dashboard(store: Store, request: PastDaysRequest) -> EmailDashboard:
    current, previous = windows(request)
    edges = [int(w.timestamp()) for w in (previous.start, current.start, current.end)]
    rollup = Rollup(buckets="email_buckets", bucket_sums=EMAIL_SUMS, where="tenant_id = ?")
    sums = (await reference_sums(store, rollup, [request.tenant_id], edges)).get(
        0, [(0,) * len(EMAIL_SUMS)] * 2
    )
    campaigns = [0, 0]
    for (sent_at,) in await store.fetch_all(
        "SELECT sent_at FROM campaigns WHERE tenant_id = ? AND channel = 'email' "
        "AND sent_at >= ? AND sent_at < ?",
        (request.tenant_id, edges[0], edges[2]),
    ):
        campaigns[int(sent_at) >= edges[1]] += 1
    contacts = [0, 0]
    for (created_at,) in await store.fetch_all(
        "SELECT created_at FROM contacts WHERE tenant_id = ? AND created_at >= ? "
        "AND created_at < ?",
        (request.tenant_id, edges[0], edges[2]),
    ):
        contacts[int(created_at) >= edges[1]] += 1
    before, now = (email_counts(v) for v in sums)
    return EmailDashboard(
        request=request,
        current=EmailDashboardFigures(
            counts=now, campaigns_sent=campaigns[1], new_contacts=contacts[1]
        ),
        previous=EmailDashboardFigures(
            counts=before, campaigns_sent=campaigns[0], new_contacts=contacts[0]
        ),
    )


async def reference_best_send_times(store: Store, request: RangeRequest) -> BestSendTimes:
    """Every bucket of the window read and turned into local time by zoneinfo, one by one."""
    window = time_range(request)
    zone = window.zone
    hours = [[0] * 4 for _ in range(24)]
    weekdays = [[0] * 4 for _ in range(7)]

    def add(moment: int, values: Sequence[int]) -> None:
        local = datetime.fromtimestamp(moment, UTC).astimezone(zone)
        day = (local.weekday() + 1) % 7  # 0 = Sunday
        for i, value in enumerate(values):
            hours[local.hour][i] += int(value)
            weekdays[day][i] += int(value)

    start, end = (int(t.timestamp()) for t in (window.start, window.end))
    first, last = -(-start // BUCKET_SECONDS), end // BUCKET_SECONDS
    slivers = [(start, end)]
    if first < last:
        for row in await store.fetch_all(
            "SELECT bucket, queued, sent, failed, delivered FROM sms_buckets "
            "WHERE tenant_id = ? AND bucket >= ? AND bucket < ?",
            (request.tenant_id, first, last),
        ):
            add(int(row[0]) * BUCKET_SECONDS, row[1:])
        slivers = [(start, first * BUCKET_SECONDS), (last * BUCKET_SECONDS, end)]
    for lo, hi in slivers:
        if lo < hi:
            for row in await store.fetch_all(
                "SELECT sent_at, status FROM sms_messages WHERE tenant_id = ? AND is_test = 0 "
                "AND sent_at >= ? AND sent_at < ?",
                (request.tenant_id, lo, hi),
            ):
                add(int(row[0]), [int(row[1] == s) for s in (0, 1, 2, 3)])
    return BestSendTimes(
        by_hour=tuple(SendTimeSlot(slot=h, counts=sms_counts(v)) for h, v in enumerate(hours)),
        by_day_of_week=tuple(
            SendTimeSlot(slot=d, counts=sms_counts(v)) for d, v in enumerate(weekdays)
        ),
    )


# The traffic: every channel, over `days` days before `now`, fed through ingest in shuffled
# batches, with statuses arriving before their messages, twice, and out of order.

Raw = dict[str, Any]
WHATSAPP_FINAL = ("sent", "delivered", "read", "failed")
SMS_FINAL = ("sent", "delivered", "failed")


def _at(moment: datetime) -> str:
    return moment.isoformat()


def _traffic(tenant: str, now: datetime, days: int, rng: random.Random) -> Iterator[Raw]:
    span = days * 86_400

    def moment() -> datetime:
        return now - timedelta(seconds=rng.randrange(span))

    for i in range(1200):
        message = f"wa-{i}"
        yield {
            "type": "whatsapp.message",
            "tenant": tenant,
            "number": f"+1555000000{i % 3}",
            "messageId": message,
            "sentAt": _at(moment()),
            "status": "queued" if i % 5 else "sent",
            "test": i % 97 == 0,
        }
        for status in rng.sample(WHATSAPP_FINAL, rng.randrange(0, 3)):
            yield {
                "type": "whatsapp.status",
                "tenant": tenant,
                "messageId": message,
                "status": status,
            }
    for i in range(900):
        message = f"sms-{i}"
        yield {
            "type": "sms.message",
            "tenant": tenant,
            "messageId": message,
            "campaignId": f"sc-{i % 12}" if i % 3 else None,
            "sentAt": _at(moment()),
            "status": "queued",
            "test": i % 89 == 0,
        }
        for status in rng.sample(SMS_FINAL, rng.randrange(0, 3)):
            yield {"type": "sms.status", "tenant": tenant, "messageId": message, "status": status}
    for i in range(700):
        recipient = f"r{i}@example.com"
        campaign = f"ec-{i % 5}"
        sent = moment()
        yield {
            "type": "email",
            "tenant": tenant,
            "event": "sent",
            "campaignId": campaign,
            "recipient": recipient,
            "at": _at(sent),
        }
        for kind in rng.sample(("open", "open", "click", "soft_bounce", "unsubscribe"), 2):
            later = min(now, sent + timedelta(seconds=rng.randrange(3 * 86_400)))
            extra = {"url": "https://example.com/x"} if kind == "click" else {}
            yield {
                "type": "email",
                "tenant": tenant,
                "event": kind,
                "campaignId": campaign,
                "recipient": recipient,
                "at": _at(later),
                **extra,
            }


def _entities(tenant: str, now: datetime, days: int, rng: random.Random) -> Iterator[Raw]:
    for i in range(40):
        yield {
            "type": "contact",
            "tenant": tenant,
            "contactId": f"c{i}",
            "createdAt": _at(now - timedelta(seconds=rng.randrange(2 * days * 86_400))),
        }
    statuses = ("completed", "failed", "sending", "draft", "canceled", "scheduled")
    for i in range(12):
        created = now - timedelta(seconds=rng.randrange(days * 86_400))
        yield {
            "type": "campaign",
            "tenant": tenant,
            "channel": "sms",
            "campaignId": f"sc-{i}",
            "name": f"SMS {i}",
            "status": statuses[i % 6],
            "createdAt": _at(created),
        }
    for i in range(5):
        sent = now - timedelta(seconds=rng.randrange(days * 86_400))
        yield {
            "type": "campaign",
            "tenant": tenant,
            "channel": "email",
            "campaignId": f"ec-{i}",
            "name": f"Email {i}",
            "status": "completed",
            "createdAt": _at(sent - timedelta(days=1)),
            "sentAt": _at(sent),
        }


async def seed_traffic(store: Store, tenant: str, now: datetime, days: int, seed: int = 5) -> int:
    """Feed a tenant's traffic through ingest; returns how many events were applied."""
    rng = random.Random(seed)
    entities = [parse_event(raw) for raw in _entities(tenant, now, days, rng)]
    traffic = [parse_event(raw) for raw in _traffic(tenant, now, days, rng)]
    rng.shuffle(traffic)  # statuses before their messages, later ones first
    applied = (await apply_events(store, entities)).applied
    for start in range(0, len(traffic), 700):
        applied += (await apply_events(store, traffic[start : start + 700])).applied
    again = rng.sample(traffic, len(traffic) // 10)  # delivered twice (at-least-once webhooks)
    applied += (await apply_events(store, again)).applied
    return applied


def local_date(moment: datetime, zone: str) -> date:
    return moment.astimezone(ZoneInfo(zone)).date()
