"""Delivery counters per number and local day, folded from the 15-minute rollups."""

from __future__ import annotations

from collections.abc import Sequence

from gateway.domain.messages import DailyDelivery, DeliveryCounts
from gateway.providers.native.store import SqliteStore, placeholders
from gateway.timewindows import BUCKET_SECONDS, DayWindow

__all__ = ["daily_delivery"]

_FROM_BUCKETS = """
WITH days (i, lo, hi) AS (VALUES {days})
SELECT b.number_id, days.i, SUM(b.queued), SUM(b.sent), SUM(b.failed), SUM(b.delivered),
       SUM(b.read)
FROM days JOIN message_buckets AS b ON b.bucket >= days.lo AND b.bucket < days.hi
WHERE b.number_id IN ({numbers})
GROUP BY b.number_id, days.i
"""

# Exact but O(messages): only for windows whose day boundaries miss the 15-minute grid, which
# no zone has done since the 1980s.
_FROM_MESSAGES = """
WITH days (i, lo, hi) AS (VALUES {days})
SELECT m.number_id, days.i, SUM(m.status = 0), SUM(m.status = 1), SUM(m.status = 2),
       SUM(m.status = 3), SUM(m.status = 4)
FROM days JOIN messages AS m ON m.sent_at >= days.lo AND m.sent_at < days.hi
WHERE m.number_id IN ({numbers}) AND m.is_test = 0
GROUP BY m.number_id, days.i
"""


async def daily_delivery(
    store: SqliteStore, number_ids: Sequence[int], window: DayWindow
) -> dict[int, list[DailyDelivery]]:
    """Every local day of `window` for each number, zeros included, in one query."""
    edges = window.boundaries()
    aligned = window.is_bucket_aligned()
    unit = BUCKET_SECONDS if aligned else 1
    template = _FROM_BUCKETS if aligned else _FROM_MESSAGES
    sql = template.format(
        days=", ".join("(?, ?, ?)" for _ in window.days), numbers=placeholders(number_ids)
    )
    params: list[object] = []
    for i in range(len(window.days)):
        params += [i, edges[i] // unit, edges[i + 1] // unit]
    params += number_ids
    rows = await store.fetch_all(sql, params)

    counts = {n: [DeliveryCounts()] * len(window.days) for n in number_ids}
    for number_id, i, queued, sent, failed, delivered, read in rows:
        counts[number_id][i] = DeliveryCounts(
            queued=queued, sent_only=sent, failed=failed, delivered_only=delivered, read=read
        )
    return {
        n: [DailyDelivery(day=day, counts=c) for day, c in zip(window.days, days, strict=True)]
        for n, days in counts.items()
    }
