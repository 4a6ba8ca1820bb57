"""The graph's side of a platform's declaration: a source's adapter is asked only what its
platform says it answers. A field it does not declare, an argument it cannot take, or local days
in a timezone it cannot count in are refused here, per key, before the adapter is called; and a
source whose platform could not be loaded answers UPSTREAM_UNAVAILABLE for everything."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from gateway.domain.billing import BillingStatus
from gateway.domain.campaigns import (
    Campaign,
    CampaignPage,
    CampaignPageRequest,
    CampaignRef,
    Channel,
    SmsCampaignPerformance,
)
from gateway.domain.email import (
    EmailCampaignReport,
    EmailCounts,
    EmailDashboard,
    EmailDashboardFigures,
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
from gateway.errors import GatewayError, TimezoneNotSupported, UpstreamUnavailable
from gateway.platforms.api import Platform
from gateway.providers.upstream.base import UpstreamProvider
from gateway.providers.upstream.http import UpstreamClient

__all__ = ["ARGUMENTS", "DeclaredProvider", "UnavailablePlatform"]

K = TypeVar("K")
V = TypeVar("V")

# Whether a key was asked with an argument (a value other than the one the graph gives when
# the caller names none), by argument; a platform that declares one `unsupported` refuses it.
ARGUMENTS: dict[str, Callable[[object], bool]] = {
    "timezone": lambda key: getattr(key, "timezone", "UTC") != "UTC",
    "startDate": lambda key: not getattr(key, "start_defaulted", True),
    "endDate": lambda key: not getattr(key, "end_defaulted", True),
    "period": lambda key: getattr(key, "period", None) is not None,
    "pastDays": lambda key: True,
    "limit": lambda key: getattr(key, "limit", 0) != 0,
}


class DeclaredProvider(UpstreamProvider):
    """A source's adapter behind its platform's declaration."""

    def __init__(self, platform: Platform, adapter: UpstreamProvider) -> None:
        super().__init__(adapter.client, adapter.secrets)
        self.declared = platform
        self.platform = platform.name
        self.adapter = adapter
        self._answers = {answer.field: answer for answer in platform.answers}

    def refusal(self, coordinate: str, key: object = None) -> GatewayError | None:
        answer = self._answers.get(coordinate)
        field = coordinate.split("/")[0]
        if answer is None:
            return self.unsupported(field)
        for argument in sorted(answer.unsupported) if answer.unsupported else ():
            if key is not None and ARGUMENTS[argument](key):
                return self.unsupported(f"{field} with {argument}")
        timezone = getattr(key, "timezone", None) if answer.utc_days else None
        if timezone not in (None, "UTC"):
            return TimezoneNotSupported(
                f"{self.name} ({self.platform}) counts {field} by UTC day and cannot answer "
                f"local days in {timezone}; ask with timezone UTC",
                source=self.name,
                timezone=timezone,
            )
        return None

    async def _checked(
        self,
        keys: Sequence[K],
        refuse: Callable[[K], GatewayError | None],
        call: Callable[[Sequence[K]], Awaitable[Sequence[V | GatewayError]]],
    ) -> list[V | GatewayError]:
        refused = [refuse(key) for key in keys]
        asked = [key for key, no in zip(keys, refused, strict=True) if no is None]
        answers = iter(await call(asked) if asked else [])
        return [next(answers) if no is None else no for no in refused]

    def _tz(self, coordinate: str) -> Callable[[object], GatewayError | None]:
        return lambda key: self.refusal(coordinate, key)

    async def load_numbers(
        self, refs: Sequence[NumberRef]
    ) -> list[WhatsAppNumber | GatewayError | None]:
        return await self.adapter.load_numbers(refs)

    async def list_numbers(
        self, tenant_id: str, limit: int | None = None, *, upstream_only: bool = False
    ) -> list[WhatsAppNumber]:
        return await self.adapter.list_numbers(tenant_id, limit, upstream_only=upstream_only)

    async def page_numbers(self, page: NumberPageRequest) -> NumberPage:
        return await self.adapter.page_numbers(page)

    async def count_numbers(self, page: NumberPageRequest) -> int:
        return await self.adapter.count_numbers(page)

    async def load_dashboards(
        self, requests: Sequence[DashboardRequest]
    ) -> list[NumberDashboard | GatewayError]:
        field = "WhatsAppNumber.dashboard"
        return await self._checked(requests, self._tz(field), self.adapter.load_dashboards)

    async def load_whatsapp_daily(
        self, requests: Sequence[RangeRequest]
    ) -> list[list[DailyDelivery] | GatewayError]:
        field = "Query.deliveryByChannel/whatsapp"
        return await self._checked(requests, self._tz(field), self.adapter.load_whatsapp_daily)

    async def load_sms_overviews(
        self, requests: Sequence[RangeRequest]
    ) -> list[SmsOverview | GatewayError]:
        field = "SmsAnalytics.overview"
        return await self._checked(requests, self._tz(field), self.adapter.load_sms_overviews)

    async def load_sms_trends(
        self, requests: Sequence[RangeRequest]
    ) -> list[list[TrendDay] | GatewayError]:
        field = "SmsAnalytics.trends"
        return await self._checked(requests, self._tz(field), self.adapter.load_sms_trends)

    async def load_top_campaigns(
        self, requests: Sequence[RangeRequest]
    ) -> list[list[SmsCampaignPerformance] | GatewayError]:
        field = "SmsAnalytics.topCampaigns"
        return await self._checked(requests, self._tz(field), self.adapter.load_top_campaigns)

    async def load_best_send_times(
        self, requests: Sequence[RangeRequest]
    ) -> list[BestSendTimes | GatewayError]:
        field = "SmsAnalytics.bestSendTimes"
        return await self._checked(requests, self._tz(field), self.adapter.load_best_send_times)

    async def load_campaign_exports(
        self, requests: Sequence[RangeRequest]
    ) -> list[list[SmsCampaignPerformance] | GatewayError]:
        field = "SmsAnalytics.campaignExport"
        return await self._checked(requests, self._tz(field), self.adapter.load_campaign_exports)

    async def load_campaigns(
        self, refs: Sequence[CampaignRef]
    ) -> list[Campaign | GatewayError | None]:
        def refuse(ref: CampaignRef) -> GatewayError | None:
            return self.refusal(f"Query.campaign/{ref.channel.value}")

        return await self._checked(refs, refuse, self.adapter.load_campaigns)

    async def page_campaigns(self, page: CampaignPageRequest) -> CampaignPage:
        if (refused := self.refusal("Query.campaigns")) is not None:
            raise refused
        return await self.adapter.page_campaigns(page)

    async def count_campaigns(self, page: CampaignPageRequest) -> int:
        if (refused := self.refusal("Query.campaigns")) is not None:
            raise refused
        return await self.adapter.count_campaigns(page)

    async def load_sms_counts(
        self, refs: Sequence[CampaignRef]
    ) -> list[DeliveryCounts | GatewayError]:
        def refuse(ref: CampaignRef) -> GatewayError | None:
            if ref.channel is not Channel.SMS:
                return self.unsupported("an email campaign's SMS counts")
            return self.refusal("SmsCampaign.messages")

        return await self._checked(refs, refuse, self.adapter.load_sms_counts)

    def _inexact(self, coordinate: str, request: PastDaysRequest) -> frozenset[str]:
        """The figures of a window the platform counts within one day only, when the window
        has more than one day (each day's figure added up would be a near miss)."""
        answer = self._answers.get(coordinate)
        if answer is None or request.past_days <= 1:
            return frozenset()
        return answer.daily_only

    async def load_email_dashboards(
        self, requests: Sequence[PastDaysRequest]
    ) -> list[EmailDashboard | GatewayError]:
        field = "EmailReports.dashboard"
        answers = await self._checked(requests, self._tz(field), self.adapter.load_email_dashboards)
        marked: list[EmailDashboard | GatewayError] = []
        for request, board in zip(requests, answers, strict=True):
            inexact = self._inexact(field, request)
            if inexact and isinstance(board, EmailDashboard):
                board = board.model_copy(
                    update={
                        "current": _marked_figures(board.current, inexact),
                        "previous": _marked_figures(board.previous, inexact),
                    }
                )
            marked.append(board)
        return marked

    async def load_email_overall(
        self, requests: Sequence[PastDaysRequest]
    ) -> list[EmailCounts | GatewayError]:
        field = "EmailReports.overall"
        answers = await self._checked(requests, self._tz(field), self.adapter.load_email_overall)
        return [
            _marked(counts, inexact)
            if isinstance(counts, EmailCounts) and (inexact := self._inexact(field, request))
            else counts
            for request, counts in zip(requests, answers, strict=True)
        ]

    async def load_email_histograms(
        self, requests: Sequence[PastDaysRequest]
    ) -> list[list[EmailPoint] | GatewayError]:
        field = "EmailReports.histogram"
        return await self._checked(requests, self._tz(field), self.adapter.load_email_histograms)

    async def load_email_reports(
        self, campaigns: Sequence[Campaign]
    ) -> list[EmailCampaignReport | GatewayError]:
        field = "EmailCampaign.report"
        return await self._checked(campaigns, self._tz(field), self.adapter.load_email_reports)

    async def load_engagements(
        self, requests: Sequence[EngagementRequest]
    ) -> list[list[EmailPoint] | GatewayError]:
        field = "EmailCampaign.engagement"
        return await self._checked(requests, self._tz(field), self.adapter.load_engagements)

    async def load_email_daily(
        self, requests: Sequence[RangeRequest]
    ) -> list[list[DailyDelivery] | GatewayError]:
        field = "Query.deliveryByChannel/email"
        return await self._checked(requests, self._tz(field), self.adapter.load_email_daily)

    async def load_billing(
        self, tenant_ids: Sequence[str]
    ) -> list[BillingStatus | GatewayError | None]:
        return await self._checked(
            tenant_ids, lambda _: self.refusal("Query.billing"), self.adapter.load_billing
        )

    async def load_credit_balances(
        self, tenant_ids: Sequence[str]
    ) -> list[int | GatewayError | None]:
        return await self._checked(
            tenant_ids,
            lambda _: self.refusal("Query.creditBalance"),
            self.adapter.load_credit_balances,
        )


def _marked(counts: EmailCounts, inexact: frozenset[str]) -> EmailCounts:
    return counts.model_copy(update={"inexact": counts.inexact | inexact})


def _marked_figures(
    figures: EmailDashboardFigures, inexact: frozenset[str]
) -> EmailDashboardFigures:
    return figures.model_copy(update={"counts": _marked(figures.counts, inexact)})


class UnavailablePlatform(UpstreamProvider):
    """A source whose platform is installed but could not be loaded: every field it would
    answer is UPSTREAM_UNAVAILABLE, with why; the rest of the graph answers as ever."""

    def __init__(self, client: UpstreamClient, platform: str, reason: str) -> None:
        super().__init__(client, {})
        self.platform = platform
        self.reason = reason

    def unavailable_error(self) -> UpstreamUnavailable:
        return UpstreamUnavailable(
            f"{self.name}: the platform {self.platform} is unavailable ({self.reason})",
            source=self.name,
        )

    def _none(self, keys: Sequence[object], what: str) -> list[GatewayError]:
        return [self.unavailable_error()] * len(keys)

    async def page_campaigns(self, page: CampaignPageRequest) -> CampaignPage:
        raise self.unavailable_error()

    async def count_campaigns(self, page: CampaignPageRequest) -> int:
        raise self.unavailable_error()
