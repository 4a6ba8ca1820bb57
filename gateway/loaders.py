"""Per-request DataLoaders over the provider registry: one batched provider call per tick."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Generic, TypeVar

from aiodataloader import DataLoader

from gateway.domain.billing import BillingStatus
from gateway.domain.campaigns import Campaign, CampaignRef, SmsCampaignPerformance
from gateway.domain.email import (
    EmailCampaignReport,
    EmailCounts,
    EmailDashboard,
    EmailPoint,
    EngagementRequest,
    PastDaysRequest,
)
from gateway.domain.messages import DailyDelivery, DeliveryCounts
from gateway.domain.numbers import DashboardRequest, NumberDashboard, NumberRef, WhatsAppNumber
from gateway.domain.sms import BestSendTimes, RangeRequest, SmsOverview, TrendDay
from gateway.errors import GatewayError
from gateway.providers.base import NATIVE, ProviderRegistry

__all__ = ["Loaders", "SourceLoader"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

BatchResult = list[V | GatewayError]

_MISSING = GatewayError("the source gave no answer for this key")


class SourceLoader(DataLoader[K, V | GatewayError], Generic[K, V]):
    """A DataLoader that splits each batch by source and calls each source's batch method once."""

    def __init__(
        self,
        source_of: Callable[[K], str],
        call: Callable[[str, Sequence[K]], Awaitable[Sequence[V | GatewayError]]],
    ) -> None:
        super().__init__()
        self._source_of = source_of
        self._call = call
        self.batches: list[int] = []  # sizes of the batches made, for tests and metrics

    async def batch_load_fn(self, keys: Sequence[K]) -> BatchResult[V]:
        self.batches.append(len(keys))
        by_source: dict[str, list[int]] = defaultdict(list)
        for index, key in enumerate(keys):
            by_source[self._source_of(key)].append(index)
        results: list[V | GatewayError] = [_MISSING] * len(keys)
        for source, indexes in by_source.items():
            try:
                answers = await self._call(source, [keys[i] for i in indexes])
            except GatewayError as error:
                answers = [error] * len(indexes)
            for i, answer in zip(indexes, answers, strict=True):
                results[i] = answer
        return results

    async def get(self, key: K) -> V:
        # aiodataloader raises the GatewayError answered for this key instead of returning it.
        value = await self.load(key)
        assert not isinstance(value, GatewayError)
        return value


def _source(key: RangeRequest | PastDaysRequest | NumberRef | CampaignRef) -> str:
    return key.source


class Loaders:
    """The DataLoaders of one request; built in the view's get_context, never shared."""

    def __init__(self, registry: ProviderRegistry) -> None:
        get = registry.get
        # Numbers are the gateway's own, wherever their data lives: the native store knows them.
        self.numbers: SourceLoader[NumberRef, WhatsAppNumber | None] = SourceLoader(
            lambda _: NATIVE, lambda s, keys: get(s).load_numbers(keys)
        )
        self.dashboards: SourceLoader[DashboardRequest, NumberDashboard] = SourceLoader(
            lambda r: r.number.source, lambda s, keys: get(s).load_dashboards(keys)
        )
        self.whatsapp_daily: SourceLoader[RangeRequest, list[DailyDelivery]] = SourceLoader(
            _source, lambda s, keys: get(s).load_whatsapp_daily(keys)
        )
        self.sms_overviews: SourceLoader[RangeRequest, SmsOverview] = SourceLoader(
            _source, lambda s, keys: get(s).load_sms_overviews(keys)
        )
        self.sms_trends: SourceLoader[RangeRequest, list[TrendDay]] = SourceLoader(
            _source, lambda s, keys: get(s).load_sms_trends(keys)
        )
        self.top_campaigns: SourceLoader[RangeRequest, list[SmsCampaignPerformance]] = SourceLoader(
            _source, lambda s, keys: get(s).load_top_campaigns(keys)
        )
        self.best_send_times: SourceLoader[RangeRequest, BestSendTimes] = SourceLoader(
            _source, lambda s, keys: get(s).load_best_send_times(keys)
        )
        self.campaign_exports: SourceLoader[RangeRequest, list[SmsCampaignPerformance]] = (
            SourceLoader(_source, lambda s, keys: get(s).load_campaign_exports(keys))
        )
        self.campaigns: SourceLoader[CampaignRef, Campaign | None] = SourceLoader(
            _source, lambda s, keys: get(s).load_campaigns(keys)
        )
        self.sms_counts: SourceLoader[CampaignRef, DeliveryCounts] = SourceLoader(
            _source, lambda s, keys: get(s).load_sms_counts(keys)
        )
        self.email_dashboards: SourceLoader[PastDaysRequest, EmailDashboard] = SourceLoader(
            _source, lambda s, keys: get(s).load_email_dashboards(keys)
        )
        self.email_overall: SourceLoader[PastDaysRequest, EmailCounts] = SourceLoader(
            _source, lambda s, keys: get(s).load_email_overall(keys)
        )
        self.email_histograms: SourceLoader[PastDaysRequest, list[EmailPoint]] = SourceLoader(
            _source, lambda s, keys: get(s).load_email_histograms(keys)
        )
        self.email_reports: SourceLoader[Campaign, EmailCampaignReport] = SourceLoader(
            lambda c: c.ref.source, lambda s, keys: get(s).load_email_reports(keys)
        )
        self.engagements: SourceLoader[EngagementRequest, list[EmailPoint]] = SourceLoader(
            lambda r: r.campaign.source, lambda s, keys: get(s).load_engagements(keys)
        )
        self.email_daily: SourceLoader[RangeRequest, list[DailyDelivery]] = SourceLoader(
            _source, lambda s, keys: get(s).load_email_daily(keys)
        )
        self.billing: SourceLoader[str, BillingStatus | None] = SourceLoader(
            lambda tenant: registry.source_for(tenant, "sms"),
            lambda s, keys: get(s).load_billing(keys),
        )
        self.credit_balances: SourceLoader[str, int | None] = SourceLoader(
            lambda tenant: registry.source_for(tenant, "sms"),
            lambda s, keys: get(s).load_credit_balances(keys),
        )
