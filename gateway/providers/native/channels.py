"""Daily delivery of a tenant's WhatsApp numbers and email sends, by send time, for the
channel comparison (SMS comes from the trends)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from gateway.domain.messages import DailyDelivery, DeliveryCounts
from gateway.domain.sms import RangeRequest
from gateway.providers.native.dashboards import FINAL_STATUS_SUMS
from gateway.providers.native.dashboards import counts as whatsapp_counts
from gateway.providers.native.intervals import KeptSums, Rollup, sum_intervals
from gateway.providers.native.sms import time_range
from gateway.providers.native.store import Store

__all__ = ["email_daily", "whatsapp_daily"]

# The tenant's own rollup and messages, whatever its number count.
TENANT_NUMBERS = Rollup(
    buckets="tenant_message_buckets",
    hours="tenant_message_hours",
    bucket_sums=("queued", "sent", "failed", "delivered", "read"),
    where="tenant_id = ?",
    rows="messages",
    row_sums=FINAL_STATUS_SUMS,
    row_where="is_test = 0",
)
EMAIL_COHORT = Rollup(
    buckets="email_buckets",
    bucket_sums=("sent", "cohort_bounced"),
    where="tenant_id = ?",
    hours="email_hours",
)


def _email_counts(sums: Sequence[int]) -> DeliveryCounts:
    sent, bounced = sums
    return DeliveryCounts.of(0, 0, bounced, max(sent - bounced, 0), 0)


async def _daily(
    store: Store,
    request: RangeRequest,
    rollup: Rollup,
    to_counts: Callable[[Sequence[int]], DeliveryCounts],
    kept: KeptSums | None,
) -> list[DailyDelivery]:
    window = time_range(request)
    days = window.local_days()
    tenant_id = request.tenant_id
    sums = (
        await sum_intervals(
            store, rollup, [tenant_id], window.day_edges(), kept=kept, tenant_id=tenant_id
        )
    ).get(0, [(0,) * len(rollup.bucket_sums)] * len(days))
    return [
        DailyDelivery.model_construct(day=day, counts=to_counts(values))
        for day, values in zip(days, sums, strict=True)
    ]


async def whatsapp_daily(
    store: Store, request: RangeRequest, kept: KeptSums | None = None
) -> list[DailyDelivery]:
    return await _daily(store, request, TENANT_NUMBERS, whatsapp_counts, kept)


async def email_daily(
    store: Store, request: RangeRequest, kept: KeptSums | None = None
) -> list[DailyDelivery]:
    """Email sends by send day: total is sent, failed is bounced, delivered the rest."""
    return await _daily(store, request, EMAIL_COHORT, _email_counts, kept)
