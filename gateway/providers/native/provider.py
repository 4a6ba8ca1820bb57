"""NativeProvider: every provider Protocol answered from the native store."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from gateway.domain.billing import BillingStatus
from gateway.domain.campaigns import (
    Campaign,
    CampaignPage,
    CampaignPageRequest,
    CampaignRef,
    SmsCampaignPerformance,
)
from gateway.domain.email import (
    EmailCampaignReport,
    EmailCounts,
    EmailDashboard,
    EmailPoint,
    EngagementRequest,
    PastDaysRequest,
)
from gateway.domain.messages import DailyDelivery, DeliveryCounts
from gateway.domain.numbers import (
    DashboardRequest,
    NumberDashboard,
    NumberPage,
    NumberPageRequest,
    NumberRef,
    WhatsAppNumber,
)
from gateway.domain.sms import BestSendTimes, RangeRequest, SmsOverview, TrendDay
from gateway.domain.timewindows import DayWindow
from gateway.errors import GatewayError, NotFound
from gateway.providers.native import campaigns, email, sms
from gateway.providers.native.billing import billing_statuses
from gateway.providers.native.channels import email_daily, whatsapp_daily
from gateway.providers.native.dashboards import daily_series
from gateway.providers.native.intervals import KeptSums
from gateway.providers.native.numbers import count_numbers, numbers_page
from gateway.providers.native.store import Store
from gateway.providers.native.tenancy import NumberRecord, Tenancy
from gateway.providers.versions import VersionedMemo

__all__ = ["NativeProvider"]

SOURCE = "native"

K = TypeVar("K")
V = TypeVar("V")


async def each(keys: Sequence[K], answer: Callable[[K], Awaitable[V]]) -> list[V | GatewayError]:
    """Answer keys one by one, a GatewayError for one key standing as that key's answer."""
    results: list[V | GatewayError] = []
    for key in keys:
        try:
            results.append(await answer(key))
        except GatewayError as error:
            results.append(error)
    return results


class NativeProvider:
    source = SOURCE

    def __init__(self, store: Store, memo: VersionedMemo[object, object] | None = None) -> None:
        self.store = store
        self.tenancy = Tenancy(store)
        # Dashboards already computed at the tenant's current data version.
        self.memo = memo
        # And the daily sums they and the other reports were built from: a zone of an offset
        # already asked reads none of them again.
        self.kept = KeptSums(memo.versions) if memo is not None else None

    # WhatsApp numbers

    async def load_numbers(
        self, refs: Sequence[NumberRef]
    ) -> list[WhatsAppNumber | GatewayError | None]:
        # Numbers move only with their tenant's data version (adding one bumps it), so they
        # share the dashboards' memo: a number key's dashboard then reads nothing from the store.
        memo = self.memo
        known = {
            r: n for r in refs if memo and isinstance(n := memo.get(r, r.tenant_id), WhatsAppNumber)
        }
        by_tenant: dict[str, list[int]] = defaultdict(list)
        for ref in refs:
            if ref not in known:
                by_tenant[ref.tenant_id].append(ref.number_id)
        for tenant_id, ids in by_tenant.items():
            version = memo.versions.version(tenant_id) if memo else 0
            for record in (await self.tenancy.numbers_by_id(tenant_id, ids)).values():
                number = _number(record)
                known[number.ref] = number
                if memo:
                    memo.put(number.ref, tenant_id, version, number)
        # An id naming another source than the number's own names no number.
        return [known.get(r) for r in refs]

    async def list_numbers(
        self, tenant_id: str, limit: int | None = None, *, upstream_only: bool = False
    ) -> list[WhatsAppNumber]:
        found = await self.tenancy.list_numbers(tenant_id, limit, upstream_only=upstream_only)
        return [_number(record) for record in found]

    async def page_numbers(self, page: NumberPageRequest) -> NumberPage:
        records, has_next, has_previous = await numbers_page(self.store, page)
        numbers = [_number(record) for record in records]
        return NumberPage(numbers=numbers, has_next=has_next, has_previous=has_previous)

    async def count_numbers(self, page: NumberPageRequest) -> int:
        return await count_numbers(self.store, page)

    async def load_dashboards(
        self, requests: Sequence[DashboardRequest]
    ) -> list[NumberDashboard | GatewayError]:
        answers: dict[DashboardRequest, NumberDashboard] = {}
        by_window: dict[tuple[str, int, str, object], list[DashboardRequest]] = defaultdict(list)
        versions = {}
        for request in requests:
            tenant_id = request.number.tenant_id
            known = self.memo.get(request, tenant_id) if self.memo else None
            if isinstance(known, NumberDashboard):
                answers[request] = known
                continue
            if self.memo:
                versions[request] = self.memo.versions.version(tenant_id)
            # Requests sharing a window (the usual case: one query, many numbers): one query.
            by_window[tenant_id, request.period.days, request.timezone, request.today].append(
                request
            )
        for (tenant_id, days, timezone, _), group in by_window.items():
            today = group[0].today
            window = DayWindow.from_dates(
                today - timedelta(days=days - 1), today, ZoneInfo(timezone)
            )
            ids = sorted({r.number.number_id for r in group})
            series = await daily_series(
                self.store, ids, window, kept=self.kept, tenant_id=tenant_id
            )
            for request in group:
                points = series[request.number.number_id]
                answers[request] = NumberDashboard.model_construct(
                    request=request, totals=points.totals(), series=points
                )
                if self.memo:
                    self.memo.put(
                        request, request.number.tenant_id, versions[request], answers[request]
                    )
        return [answers[request] for request in requests]

    async def load_whatsapp_daily(
        self, requests: Sequence[RangeRequest]
    ) -> list[list[DailyDelivery] | GatewayError]:
        return await each(requests, lambda r: whatsapp_daily(self.store, r, self.kept))

    # SMS analytics

    async def load_sms_overviews(
        self, requests: Sequence[RangeRequest]
    ) -> list[SmsOverview | GatewayError]:
        return await each(requests, lambda r: sms.overview(self.store, r))

    async def load_sms_trends(
        self, requests: Sequence[RangeRequest]
    ) -> list[list[TrendDay] | GatewayError]:
        return await each(requests, lambda r: sms.trends(self.store, r, self.kept))

    async def load_top_campaigns(
        self, requests: Sequence[RangeRequest]
    ) -> list[list[SmsCampaignPerformance] | GatewayError]:
        return await each(requests, lambda r: sms.top_campaigns(self.store, r))

    async def load_best_send_times(
        self, requests: Sequence[RangeRequest]
    ) -> list[BestSendTimes | GatewayError]:
        return await each(requests, lambda r: sms.best_send_times(self.store, r, self.kept))

    async def load_campaign_exports(
        self, requests: Sequence[RangeRequest]
    ) -> list[list[SmsCampaignPerformance] | GatewayError]:
        return await each(
            requests,
            lambda r: campaigns.sms_performance_created(
                self.store, r.tenant_id, sms.time_range(r), r.limit
            ),
        )

    # Campaigns

    async def load_campaigns(
        self, refs: Sequence[CampaignRef]
    ) -> list[Campaign | GatewayError | None]:
        return list(await campaigns.campaigns_by_id(self.store, refs))

    async def page_campaigns(self, page: CampaignPageRequest) -> CampaignPage:
        return await campaigns.campaigns_page(self.store, page)

    async def count_campaigns(self, page: CampaignPageRequest) -> int:
        return await campaigns.count_campaigns(self.store, page)

    async def load_sms_counts(
        self, refs: Sequence[CampaignRef]
    ) -> list[DeliveryCounts | GatewayError]:
        found = await campaigns.sms_counts_by_campaign(self.store, [r.campaign_id for r in refs])
        return [found.get(r.campaign_id, DeliveryCounts()) for r in refs]

    # Email reports

    async def load_email_dashboards(
        self, requests: Sequence[PastDaysRequest]
    ) -> list[EmailDashboard | GatewayError]:
        return await each(requests, lambda r: email.dashboard(self.store, r, self.kept))

    async def load_email_overall(
        self, requests: Sequence[PastDaysRequest]
    ) -> list[EmailCounts | GatewayError]:
        return await each(requests, lambda r: email.overall(self.store, r))

    async def load_email_histograms(
        self, requests: Sequence[PastDaysRequest]
    ) -> list[list[EmailPoint] | GatewayError]:
        return await each(requests, lambda r: email.histogram(self.store, r))

    async def load_email_reports(
        self, campaigns: Sequence[Campaign]
    ) -> list[EmailCampaignReport | GatewayError]:
        return list(await email.campaign_reports(self.store, campaigns))

    async def load_engagements(
        self, requests: Sequence[EngagementRequest]
    ) -> list[list[EmailPoint] | GatewayError]:
        async def one(request: EngagementRequest) -> list[EmailPoint]:
            [campaign] = await campaigns.campaigns_by_id(self.store, [request.campaign])
            if campaign is None:
                raise NotFound("no such campaign")
            return await email.engagement(self.store, request, campaign)

        return await each(requests, one)

    async def load_email_daily(
        self, requests: Sequence[RangeRequest]
    ) -> list[list[DailyDelivery] | GatewayError]:
        return await each(requests, lambda r: email_daily(self.store, r, self.kept))

    # Billing

    async def load_billing(
        self, tenant_ids: Sequence[str]
    ) -> list[BillingStatus | GatewayError | None]:
        found = await billing_statuses(self.store, tenant_ids)
        return [found.get(tenant_id) for tenant_id in tenant_ids]

    async def load_credit_balances(
        self, tenant_ids: Sequence[str]
    ) -> list[int | GatewayError | None]:
        found = await billing_statuses(self.store, tenant_ids)
        return [s.credits.available if (s := found.get(t)) else None for t in tenant_ids]


def _number(record: NumberRecord) -> WhatsAppNumber:
    return WhatsAppNumber(
        ref=NumberRef(source=record.source, tenant_id=record.tenant_id, number_id=record.id),
        phone_number=record.phone_number,
        display_name=record.display_name,
    )
