"""Delivery counters per WhatsApp number and local day, folded from the 15-minute rollups."""

from __future__ import annotations

from collections.abc import Sequence

from gateway.domain.messages import DailySeries, DeliveryCounts
from gateway.domain.timewindows import DayWindow
from gateway.providers.native.intervals import KeptSums, Rollup, sum_intervals
from gateway.providers.native.store import Store, placeholders

__all__ = ["daily_series", "whatsapp_rollup"]

FINAL_STATUS_SUMS = tuple(f"CASE WHEN status = {s} THEN 1 ELSE 0 END" for s in range(5))


def whatsapp_rollup(where: str, group: str | None = None) -> Rollup:
    return Rollup(
        buckets="message_buckets",
        hours="message_hours",
        bucket_sums=("queued", "sent", "failed", "delivered", "read"),
        where=where,
        group=group,
        rows="messages",
        row_sums=FINAL_STATUS_SUMS,
        row_where="is_test = 0",
    )


def counts(sums: Sequence[int]) -> DeliveryCounts:
    queued, sent, failed, delivered, read = sums
    return DeliveryCounts.of(queued, sent, failed, delivered, read)


async def daily_series(
    store: Store,
    number_ids: Sequence[int],
    window: DayWindow,
    *,
    kept: KeptSums | None = None,
    tenant_id: str | None = None,
) -> dict[int, DailySeries]:
    """Every local day of `window` for each number, zeros included, in one query: as the
    compact series a dashboard keeps, no model built per day. With `kept`, days already summed
    for the numbers of `tenant_id` are not read again."""
    rollup = whatsapp_rollup(f"number_id IN ({placeholders(number_ids)})", group="number_id")
    sums = await sum_intervals(
        store, rollup, list(number_ids), window.boundaries(), kept=kept, tenant_id=tenant_id
    )
    days = tuple(window.days)
    zero = (0,) * (5 * len(days))
    return {n: DailySeries(days, _flat(sums[n]) if n in sums else zero) for n in number_ids}


def _flat(rows: Sequence[Sequence[int]]) -> tuple[int, ...]:
    return tuple(value for row in rows for value in row)
