"""Per-request DataLoaders over the provider registry: one batched provider call per tick."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from functools import cached_property, partial
from typing import Any, Generic, TypeVar

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
from gateway.observability.metrics import BATCH_SIZES
from gateway.providers.base import NATIVE, ProviderRegistry
from gateway.providers.flights import SingleFlight
from gateway.providers.upstream.kept import stale_age

__all__ = ["Loaders", "SourceLoader"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

BatchResult = list[V | GatewayError]

_MISSING = GatewayError("the source gave no answer for this key")
_SIZES: dict[str, Any] = {}


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

    name = "loader"  # set by Loaders to the attribute it lives under
    flights: SingleFlight | None = None  # set by Loaders: shared with every other request

    async def batch_load_fn(self, keys: Sequence[K]) -> BatchResult[V]:
        self.batches.append(len(keys))
        sizes = _SIZES.get(self.name)
        if sizes is None:  # one child per loader name, looked up once
            sizes = _SIZES[self.name] = BATCH_SIZES.labels(self.name)
        sizes.observe(len(keys))
        by_source: dict[str, list[int]] = defaultdict(list)
        for index, key in enumerate(keys):
            by_source[self._source_of(key)].append(index)
        results: list[V | GatewayError] = [_MISSING] * len(keys)
        for source, indexes in by_source.items():
            asked = [keys[i] for i in indexes]
            answers: Sequence[V | GatewayError]
            try:
                if source != NATIVE and self.flights is not None:
                    # Upstream calls are slow and counted against the platform's limits;
                    # the native store is read in a blink, and its dashboards are memoized.
                    answers = await self.flights.call(
                        source, self.name, asked, partial(self._call, source)
                    )
                else:
                    answers = await self._call(source, asked)
            except GatewayError as error:
                answers = [error] * len(indexes)
            for i, answer in zip(indexes, answers, strict=True):
                results[i] = answer
        return results

    async def get(self, key: K, info: Any = None) -> V:
        """The key's value; aiodataloader raises the GatewayError answered for it instead. With
        the field's `info`, a value served stale is named in the answer's extensions."""
        value = await self.load(key)
        assert not isinstance(value, GatewayError)
        if info is not None:
            stale = stale_age(value)
            if stale is not None:
                source, age = stale
                info.context.stale.append(
                    {"path": info.path.as_list(), "source": source, "ageSeconds": round(age, 1)}
                )
        return value


def _source(key: RangeRequest | PastDaysRequest | NumberRef | CampaignRef) -> str:
    return key.source


L = TypeVar("L", bound=SourceLoader[Any, Any])


class _loader(cached_property[L]):
    """A loader made on first use and named after its attribute, for the batch-size metric."""

    def __get__(self, instance: object, owner: type[Any] | None = None) -> L:  # type: ignore[override]
        made: L = super().__get__(instance, owner)
        made.name = self.attrname or "loader"
        if isinstance(instance, Loaders):
            made.flights = instance._registry.flights
        return made


class Loaders:
    """The DataLoaders of one request; built in the view's get_context, never shared. Each is
    made on first use: most requests ask for a few areas only."""

    def __init__(self, registry: ProviderRegistry) -> None:
        self._registry = registry

    @_loader
    def numbers(self) -> SourceLoader[NumberRef, WhatsAppNumber | None]:
        # Numbers are the gateway's own, wherever their data lives: the native store knows them.
        return SourceLoader(
            lambda _: NATIVE, lambda s, keys: self._registry.get(s).load_numbers(keys)
        )

    @_loader
    def dashboards(self) -> SourceLoader[DashboardRequest, NumberDashboard]:
        return SourceLoader(
            lambda r: r.number.source, lambda s, keys: self._registry.get(s).load_dashboards(keys)
        )

    @_loader
    def whatsapp_daily(self) -> SourceLoader[RangeRequest, list[DailyDelivery]]:
        return SourceLoader(
            _source, lambda s, keys: self._registry.get(s).load_whatsapp_daily(keys)
        )

    @_loader
    def sms_overviews(self) -> SourceLoader[RangeRequest, SmsOverview]:
        return SourceLoader(_source, lambda s, keys: self._registry.get(s).load_sms_overviews(keys))

    @_loader
    def sms_trends(self) -> SourceLoader[RangeRequest, list[TrendDay]]:
        return SourceLoader(_source, lambda s, keys: self._registry.get(s).load_sms_trends(keys))

    @_loader
    def top_campaigns(self) -> SourceLoader[RangeRequest, list[SmsCampaignPerformance]]:
        return SourceLoader(_source, lambda s, keys: self._registry.get(s).load_top_campaigns(keys))

    @_loader
    def best_send_times(self) -> SourceLoader[RangeRequest, BestSendTimes]:
        return SourceLoader(
            _source, lambda s, keys: self._registry.get(s).load_best_send_times(keys)
        )

    @_loader
    def campaign_exports(self) -> SourceLoader[RangeRequest, list[SmsCampaignPerformance]]:
        return SourceLoader(
            _source, lambda s, keys: self._registry.get(s).load_campaign_exports(keys)
        )

    @_loader
    def campaigns(self) -> SourceLoader[CampaignRef, Campaign | None]:
        return SourceLoader(_source, lambda s, keys: self._registry.get(s).load_campaigns(keys))

    @_loader
    def sms_counts(self) -> SourceLoader[CampaignRef, DeliveryCounts]:
        return SourceLoader(_source, lambda s, keys: self._registry.get(s).load_sms_counts(keys))

    @_loader
    def email_dashboards(self) -> SourceLoader[PastDaysRequest, EmailDashboard]:
        return SourceLoader(
            _source, lambda s, keys: self._registry.get(s).load_email_dashboards(keys)
        )

    @_loader
    def email_overall(self) -> SourceLoader[PastDaysRequest, EmailCounts]:
        return SourceLoader(_source, lambda s, keys: self._registry.get(s).load_email_overall(keys))

    @_loader
    def email_histograms(self) -> SourceLoader[PastDaysRequest, list[EmailPoint]]:
        return SourceLoader(
            _source, lambda s, keys: self._registry.get(s).load_email_histograms(keys)
        )

    @_loader
    def email_reports(self) -> SourceLoader[Campaign, EmailCampaignReport]:
        return SourceLoader(
            lambda c: c.ref.source, lambda s, keys: self._registry.get(s).load_email_reports(keys)
        )

    @_loader
    def engagements(self) -> SourceLoader[EngagementRequest, list[EmailPoint]]:
        return SourceLoader(
            lambda r: r.campaign.source,
            lambda s, keys: self._registry.get(s).load_engagements(keys),
        )

    @_loader
    def email_daily(self) -> SourceLoader[RangeRequest, list[DailyDelivery]]:
        return SourceLoader(_source, lambda s, keys: self._registry.get(s).load_email_daily(keys))

    @_loader
    def billing(self) -> SourceLoader[str, BillingStatus | None]:
        return SourceLoader(
            lambda tenant: self._registry.source_for(tenant, "sms"),
            lambda s, keys: self._registry.get(s).load_billing(keys),
        )

    @_loader
    def credit_balances(self) -> SourceLoader[str, int | None]:
        return SourceLoader(
            lambda tenant: self._registry.source_for(tenant, "sms"),
            lambda s, keys: self._registry.get(s).load_credit_balances(keys),
        )
