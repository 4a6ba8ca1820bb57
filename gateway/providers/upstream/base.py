"""UpstreamProvider: what every upstream adapter shares. A method its platform cannot answer
answers UNSUPPORTED_BY_SOURCE for each key; adapters override the ones their platform can."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from pydantic import TypeAdapter

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
from gateway.errors import GatewayError, UnsupportedBySource
from gateway.providers.upstream.http import STALE_SEEN, UpstreamClient
from gateway.providers.upstream.kept import mark_stale
from gateway.providers.upstream.shapes import validated

__all__ = ["UpstreamProvider", "each"]

K = TypeVar("K")
M = TypeVar("M")
V = TypeVar("V")


async def each(keys: Sequence[K], answer: Callable[[K], Awaitable[V]]) -> list[V | GatewayError]:
    """Answer keys concurrently (under the client's concurrency limit), one error per key. An
    answer made of stale upstream answers is marked with the oldest one's age (see kept.py)."""
    if len(keys) == 1:  # one key needs no task of its own to run beside others
        try:
            return [await _marked(answer, keys[0])]
        except GatewayError as error:
            return [error]
    results = await asyncio.gather(*(_marked(answer, key) for key in keys), return_exceptions=True)
    answers: list[V | GatewayError] = []
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, GatewayError):
            raise result
        answers.append(result)
    return answers


async def _marked(answer: Callable[[K], Awaitable[V]], key: K) -> V:
    # What this key's answer saw is its own: a task of its own under gather, and the caller's
    # task for a lone key, where the mark is put back as it was once the answer is in.
    seen: list[tuple[str, float]] = []
    token = STALE_SEEN.set(seen)
    try:
        value = await answer(key)
    finally:
        STALE_SEEN.reset(token)
    if seen:
        source, age = max(seen, key=lambda found: found[1])
        mark_stale(value, source, age)
    return value


class UpstreamProvider:
    """A source at an upstream platform; `secrets` maps (tenant, source or phone) to its key."""

    platform = "upstream"

    def __init__(self, client: UpstreamClient, secrets: dict[tuple[str, str], str]) -> None:
        self.client = client
        self.name = client.name
        self.secrets = secrets

    def unsupported(self, what: str) -> UnsupportedBySource:
        return UnsupportedBySource(
            f"{self.name} ({self.platform}) cannot answer {what}", source=self.name
        )

    def _none(self, keys: Sequence[object], what: str) -> list[GatewayError]:
        return [self.unsupported(what)] * len(keys)

    async def fetch(
        self, path: str, params: dict[str, str], tenant_id: str, shape: TypeAdapter[M]
    ) -> M:
        """GET `path` with the tenant's key and validate the JSON it answers as `shape`."""
        response = await self.client.get(path, params, self.credential(tenant_id))
        return validated(shape, response.json(self.name), self.name, path, response.status)

    def credential(self, tenant_id: str) -> str:
        try:
            return self.secrets[tenant_id, self.name]
        except KeyError:
            raise self.unsupported(f"tenant {tenant_id}: no credentials configured") from None

    async def load_numbers(
        self, refs: Sequence[NumberRef]
    ) -> list[WhatsAppNumber | GatewayError | None]:
        return list(self._none(refs, "numbers"))

    # The native store lists every tenant's numbers, those whose data lives upstream included
    # (the sources file registers them there): no platform here lists numbers itself.
    async def list_numbers(
        self, tenant_id: str, limit: int | None = None, *, upstream_only: bool = False
    ) -> list[WhatsAppNumber]:
        return []

    async def page_numbers(self, page: NumberPageRequest) -> NumberPage:
        return NumberPage(numbers=[], has_next=False, has_previous=False)

    async def count_numbers(self, page: NumberPageRequest) -> int:
        return 0

    async def load_dashboards(
        self, requests: Sequence[DashboardRequest]
    ) -> list[NumberDashboard | GatewayError]:
        return list(self._none(requests, "WhatsApp dashboards"))

    async def load_whatsapp_daily(
        self, requests: Sequence[RangeRequest]
    ) -> list[list[DailyDelivery] | GatewayError]:
        return list(self._none(requests, "WhatsApp delivery for a date range"))

    async def load_sms_overviews(
        self, requests: Sequence[RangeRequest]
    ) -> list[SmsOverview | GatewayError]:
        return list(self._none(requests, "SMS analytics"))

    async def load_sms_trends(
        self, requests: Sequence[RangeRequest]
    ) -> list[list[TrendDay] | GatewayError]:
        return list(self._none(requests, "SMS trends"))

    async def load_top_campaigns(
        self, requests: Sequence[RangeRequest]
    ) -> list[list[SmsCampaignPerformance] | GatewayError]:
        return list(self._none(requests, "top campaigns"))

    async def load_best_send_times(
        self, requests: Sequence[RangeRequest]
    ) -> list[BestSendTimes | GatewayError]:
        return list(self._none(requests, "best send times"))

    async def load_campaign_exports(
        self, requests: Sequence[RangeRequest]
    ) -> list[list[SmsCampaignPerformance] | GatewayError]:
        return list(self._none(requests, "the campaign export"))

    async def load_campaigns(
        self, refs: Sequence[CampaignRef]
    ) -> list[Campaign | GatewayError | None]:
        return list(self._none(refs, "campaigns by id"))

    async def page_campaigns(self, page: CampaignPageRequest) -> CampaignPage:
        raise self.unsupported("campaign lists")

    async def count_campaigns(self, page: CampaignPageRequest) -> int:
        raise self.unsupported("campaign lists")

    async def load_sms_counts(
        self, refs: Sequence[CampaignRef]
    ) -> list[DeliveryCounts | GatewayError]:
        return list(self._none(refs, "an SMS campaign's counts by id"))

    async def load_email_dashboards(
        self, requests: Sequence[PastDaysRequest]
    ) -> list[EmailDashboard | GatewayError]:
        return list(self._none(requests, "email reports"))

    async def load_email_overall(
        self, requests: Sequence[PastDaysRequest]
    ) -> list[EmailCounts | GatewayError]:
        return list(self._none(requests, "email reports"))

    async def load_email_histograms(
        self, requests: Sequence[PastDaysRequest]
    ) -> list[list[EmailPoint] | GatewayError]:
        return list(self._none(requests, "email reports"))

    async def load_email_reports(
        self, campaigns: Sequence[Campaign]
    ) -> list[EmailCampaignReport | GatewayError]:
        return list(self._none(campaigns, "email campaign reports"))

    async def load_engagements(
        self, requests: Sequence[EngagementRequest]
    ) -> list[list[EmailPoint] | GatewayError]:
        return list(self._none(requests, "email engagement"))

    async def load_email_daily(
        self, requests: Sequence[RangeRequest]
    ) -> list[list[DailyDelivery] | GatewayError]:
        return list(self._none(requests, "email delivery by send day"))

    async def load_billing(
        self, tenant_ids: Sequence[str]
    ) -> list[BillingStatus | GatewayError | None]:
        return list(self._none(tenant_ids, "billing"))

    async def load_credit_balances(
        self, tenant_ids: Sequence[str]
    ) -> list[int | GatewayError | None]:
        return list(self._none(tenant_ids, "the credit balance"))
