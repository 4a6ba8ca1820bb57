"""SMS analytics from the native store: overview, trends, top campaigns, best send times."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import cast
from zoneinfo import ZoneInfo

from gateway.domain.campaigns import CampaignStatusCounts, SmsCampaignPerformance
from gateway.domain.messages import DeliveryCounts
from gateway.domain.sms import (
    BestSendTimes,
    ContactTotals,
    RangeRequest,
    SendTimeSlot,
    SmsOverview,
    TrendDay,
)
from gateway.domain.timewindows import BUCKET_SECONDS, TimeRange, offset_segments
from gateway.providers.native.campaigns import (
    sms_campaigns_counted,
    sms_performance_created,
)
from gateway.providers.native.intervals import KeptSums, Rollup, sum_intervals
from gateway.providers.native.store import Store

__all__ = ["best_send_times", "overview", "top_campaigns", "trends"]

SMS_ROLLUP = Rollup(
    buckets="sms_buckets",
    hours="sms_hours",
    bucket_sums=("queued", "sent", "failed", "delivered"),
    where="tenant_id = ?",
    rows="sms_messages",
    row_sums=tuple(f"CASE WHEN status = {s} THEN 1 ELSE 0 END" for s in range(4)),
    row_where="is_test = 0",
)


def sms_counts(sums: Sequence[int]) -> DeliveryCounts:
    queued, sent, failed, delivered = sums
    return DeliveryCounts.of(queued, sent, failed, delivered, 0)


def time_range(request: RangeRequest) -> TimeRange:
    return TimeRange(request.start, request.end, ZoneInfo(request.timezone))


async def overview(store: Store, request: RangeRequest) -> SmsOverview:
    window = time_range(request)
    sums = await sum_intervals(store, SMS_ROLLUP, [request.tenant_id], window.edges)
    (by_status,) = await sms_campaigns_counted(store, request.tenant_id, window.edges)
    row = await store.fetch_one(
        "SELECT total, textable, opted_out FROM contact_totals WHERE tenant_id = ?",
        (request.tenant_id,),
    )
    contacts = (
        ContactTotals()
        if row is None
        else ContactTotals(total=row[0], textable=row[1], opted_out=row[2])
    )
    return SmsOverview(
        request=request,
        campaigns=CampaignStatusCounts(**by_status),
        messages=sms_counts(sums.get(0, [(0, 0, 0, 0)])[0]),
        contacts=contacts,
    )


async def trends(
    store: Store, request: RangeRequest, kept: KeptSums | None = None
) -> list[TrendDay]:
    window = time_range(request)
    days = window.local_days()
    tenant_id = request.tenant_id
    sums = (
        await sum_intervals(
            store, SMS_ROLLUP, [tenant_id], window.day_edges(), kept=kept, tenant_id=tenant_id
        )
    ).get(0, [(0, 0, 0, 0)] * len(days))
    if request.messages_only:  # the comparison reads messages: no campaign is counted
        per_day: list[dict[str, int]] = [{} for _ in days]
    else:
        per_day = await sms_campaigns_counted(store, request.tenant_id, window.day_edges())
    # Built from values already checked (dates, counts summed by the store): not validated
    # again, a day at a time.
    none = CampaignStatusCounts()
    return [
        TrendDay.model_construct(
            day=day,
            messages=sms_counts(values),
            campaigns=CampaignStatusCounts(**counted) if counted else none,
        )
        for day, values, counted in zip(days, sums, per_day, strict=True)
    ]


async def top_campaigns(store: Store, request: RangeRequest) -> list[SmsCampaignPerformance]:
    """Completed campaigns created in the range: by delivery rate, then size, then newest."""
    window = time_range(request)
    completed = [
        c
        for c in await sms_performance_created(store, request.tenant_id, window)
        if c.campaign.status.value == "completed"
    ]
    completed.sort(
        key=lambda c: (c.counts.delivery_rate, c.counts.total, c.campaign.created_at), reverse=True
    )
    return completed[: request.limit]


# Whole weeks added to a local time before dividing it: the division then never meets a
# negative number (SQLite truncates toward zero), and the day of the week is unchanged.
_WEEKS_AHEAD = 7 * 86_400 * 1_000


def _send_time_sql(reads: Sequence[tuple[str, str, int]]) -> str:
    """Whole buckets or hours summed by local hour and day of week, one GROUP BY per span of
    one UTC offset: local time is the row's start plus the span's offset. 1970-01-01 was a
    Thursday, day 4 when Sunday is 0. Each row comes back with its read's index."""
    selects = []
    for table, column, seconds in reads:
        local = f"(CAST({column} AS BIGINT) * {seconds} + CAST(? AS BIGINT))"
        selects.append(
            f"SELECT CAST(? AS BIGINT), ({local} / 3600) % 24, ({local} / 86400 + 4) % 7, "
            "sum(queued), sum(sent), "
            f"sum(failed), sum(delivered) FROM {table} WHERE tenant_id = ? AND {column} >= ? "
            f"AND {column} < ? GROUP BY 2, 3"
        )
    return " UNION ALL ".join(selects)


def _send_time_reads(
    first: int, last: int, zone: ZoneInfo
) -> list[tuple[str, str, int, int, int, int]]:
    """(table, column, seconds a row spans, offset, first row, end row) covering buckets
    [first, last): in a span whose offset is whole hours, its whole UTC hours come from the
    hourly rollup (each lies within one local hour) and only the quarters at its edges from
    the 15-minute one."""
    reads = []
    for lo, hi, offset in offset_segments(first * BUCKET_SECONDS, last * BUCKET_SECONDS, zone):
        # A bucket counts at the offset of its start: offsets and DST jumps are whole quarters
        # (where a zone once changed off the grid, the bucket its change cuts goes by its start).
        start, end = -(-lo // BUCKET_SECONDS), -(-hi // BUCKET_SECONDS)
        hours = (-(-start // 4), end // 4) if offset % 3600 == 0 else (0, 0)
        if hours[0] >= hours[1]:
            reads.append(("sms_buckets", "bucket", BUCKET_SECONDS, offset, start, end))
            continue
        reads.append(("sms_hours", "hour", 3600, offset, *hours))
        for edge in ((start, hours[0] * 4), (hours[1] * 4, end)):
            if edge[0] < edge[1]:
                reads.append(("sms_buckets", "bucket", BUCKET_SECONDS, offset, *edge))
    return reads


async def _send_time_sums(
    store: Store, tenant_id: str, first: int, last: int, zone: ZoneInfo, kept: KeptSums | None
) -> list[dict[object, tuple[int, ...]]]:
    """For each read covering buckets [first, last), its sums by (local hour, day of week):
    those kept at the tenant's data version as they are, the rest in one statement."""
    reads = _send_time_reads(first, last, zone)
    version = kept.versions.version(tenant_id) if kept is not None else 0
    keys = [(tenant_id, "send times", table, offset) for table, _, _, offset, _, _ in reads]
    found = [
        kept.get(key, tenant_id).get((lo, hi)) if kept is not None else None
        for key, (*_, lo, hi) in zip(keys, reads, strict=True)
    ]
    missing = [k for k, sums in enumerate(found) if sums is None]
    if missing:
        params: list[object] = []
        for k in missing:
            *_, offset, lo, hi = reads[k]
            shifted = offset + _WEEKS_AHEAD
            params += [k, shifted, shifted, tenant_id, lo, hi]
        sql = _send_time_sql([reads[k][:3] for k in missing])
        read: dict[int, dict[object, tuple[int, ...]]] = {k: {} for k in missing}  # by read
        for k, hour, day, *values in await store.fetch_all(sql, params):
            read[int(k)][int(hour), int(day)] = tuple(int(v) for v in values)
        for k, sums in read.items():
            found[k] = sums
            if kept is not None:
                kept.put(keys[k], tenant_id, version, {(reads[k][4], reads[k][5]): sums})
    return [sums for sums in found if sums is not None]


async def best_send_times(
    store: Store, request: RangeRequest, kept: KeptSums | None = None
) -> BestSendTimes:
    """Sums by local hour and day of week, counted by the store: a few rows per offset of the
    zone in the window (at most 168 each), not the window's thousands of buckets. With `kept`,
    a span already summed at its offset (by any zone that shares it) is not read again."""
    window = time_range(request)
    zone = window.zone
    hours = [[0] * 4 for _ in range(24)]
    weekdays = [[0] * 4 for _ in range(7)]

    def add(hour: int, day: int, values: Sequence[int]) -> None:
        for i, value in enumerate(values):
            hours[hour][i] += value
            weekdays[day][i] += value

    start, end = (int(t.timestamp()) for t in (window.start, window.end))
    first, last = -(-start // BUCKET_SECONDS), end // BUCKET_SECONDS
    slivers = [(start, end)]
    if first < last:
        for sums in await _send_time_sums(store, request.tenant_id, first, last, zone, kept):
            for slot, values in sums.items():
                hour, day = cast("tuple[int, int]", slot)
                add(hour, day, values)
        slivers = [(start, first * BUCKET_SECONDS), (last * BUCKET_SECONDS, end)]
    for lo, hi in slivers:
        if lo < hi:
            for row in await store.fetch_all(
                "SELECT sent_at, status FROM sms_messages WHERE tenant_id = ? AND is_test = 0 "
                "AND sent_at >= ? AND sent_at < ?",
                (request.tenant_id, lo, hi),
            ):
                local = datetime.fromtimestamp(row[0], UTC).astimezone(zone)
                day = (local.weekday() + 1) % 7  # 0 = Sunday
                add(local.hour, day, [int(row[1] == s) for s in (0, 1, 2, 3)])
    return BestSendTimes(
        by_hour=tuple(SendTimeSlot(slot=h, counts=sms_counts(v)) for h, v in enumerate(hours)),
        by_day_of_week=tuple(
            SendTimeSlot(slot=d, counts=sms_counts(v)) for d, v in enumerate(weekdays)
        ),
    )
