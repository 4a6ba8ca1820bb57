"""What a provider can answer. Every method is batch-first: one result per key, in key order,
with a failure for one key returned as that key's GatewayError rather than failing the batch."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

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
from gateway.errors import GatewayError, NotFound
from gateway.providers.flights import SingleFlight

__all__ = [
    "NATIVE",
    "BillingProvider",
    "CampaignProvider",
    "EmailProvider",
    "NumberProvider",
    "Provider",
    "ProviderRegistry",
    "SmsProvider",
]


class NumberProvider(Protocol):
    """WhatsApp numbers and their dashboards."""

    async def load_numbers(
        self, refs: Sequence[NumberRef]
    ) -> list[WhatsAppNumber | GatewayError | None]: ...

    async def list_numbers(
        self, tenant_id: str, limit: int | None = None, *, upstream_only: bool = False
    ) -> list[WhatsAppNumber]:
        """The tenant's numbers, oldest registered first (only those whose data lives at an
        upstream source, if asked); the first `limit` when given."""
        ...

    async def page_numbers(self, page: NumberPageRequest) -> NumberPage: ...

    async def count_numbers(self, page: NumberPageRequest) -> int: ...

    async def load_dashboards(
        self, requests: Sequence[DashboardRequest]
    ) -> list[NumberDashboard | GatewayError]: ...

    async def load_whatsapp_daily(
        self, requests: Sequence[RangeRequest]
    ) -> list[list[DailyDelivery] | GatewayError]: ...


class SmsProvider(Protocol):
    """MessageSender's organization analytics."""

    async def load_sms_overviews(
        self, requests: Sequence[RangeRequest]
    ) -> list[SmsOverview | GatewayError]: ...

    async def load_sms_trends(
        self, requests: Sequence[RangeRequest]
    ) -> list[list[TrendDay] | GatewayError]: ...

    async def load_top_campaigns(
        self, requests: Sequence[RangeRequest]
    ) -> list[list[SmsCampaignPerformance] | GatewayError]: ...

    async def load_best_send_times(
        self, requests: Sequence[RangeRequest]
    ) -> list[BestSendTimes | GatewayError]: ...

    async def load_campaign_exports(
        self, requests: Sequence[RangeRequest]
    ) -> list[list[SmsCampaignPerformance] | GatewayError]: ...


class CampaignProvider(Protocol):
    """Campaigns of both channels: by id, by page, and SMS counts."""

    async def load_campaigns(
        self, refs: Sequence[CampaignRef]
    ) -> list[Campaign | GatewayError | None]: ...

    async def page_campaigns(self, page: CampaignPageRequest) -> CampaignPage: ...

    async def count_campaigns(self, page: CampaignPageRequest) -> int: ...

    async def load_sms_counts(
        self, refs: Sequence[CampaignRef]
    ) -> list[DeliveryCounts | GatewayError]: ...


class EmailProvider(Protocol):
    """The email platform's reports."""

    async def load_email_dashboards(
        self, requests: Sequence[PastDaysRequest]
    ) -> list[EmailDashboard | GatewayError]: ...

    async def load_email_overall(
        self, requests: Sequence[PastDaysRequest]
    ) -> list[EmailCounts | GatewayError]: ...

    async def load_email_histograms(
        self, requests: Sequence[PastDaysRequest]
    ) -> list[list[EmailPoint] | GatewayError]: ...

    async def load_email_reports(
        self, campaigns: Sequence[Campaign]
    ) -> list[EmailCampaignReport | GatewayError]: ...

    async def load_engagements(
        self, requests: Sequence[EngagementRequest]
    ) -> list[list[EmailPoint] | GatewayError]: ...

    async def load_email_daily(
        self, requests: Sequence[RangeRequest]
    ) -> list[list[DailyDelivery] | GatewayError]: ...


class BillingProvider(Protocol):
    """MessageSender's billing status and credit balance."""

    async def load_billing(
        self, tenant_ids: Sequence[str]
    ) -> list[BillingStatus | GatewayError | None]: ...

    async def load_credit_balances(
        self, tenant_ids: Sequence[str]
    ) -> list[int | GatewayError | None]: ...


class Provider(
    NumberProvider, SmsProvider, CampaignProvider, EmailProvider, BillingProvider, Protocol
):
    """A source that can be asked anything; one that cannot answer an area raises
    UnsupportedBySource from it."""


NATIVE = "native"


class ProviderRegistry:
    """The providers by source name, and which source answers each tenant's areas ("sms" for
    SMS analytics, SMS campaigns and billing; "email" for email reports). A source named in an
    id but not configured is not found."""

    def __init__(
        self,
        sources: dict[str, Provider],
        routes: dict[str, dict[str, str]] | None = None,
        default_source: str = NATIVE,
    ) -> None:
        self._sources = sources
        self._routes = routes or {}
        self.default_source = default_source
        # Upstream calls in flight, which identical ones from other requests join.
        self.flights = SingleFlight()

    def source_for(self, tenant_id: str, area: str) -> str:
        return self._routes.get(tenant_id, {}).get(area, self.default_source)

    @property
    def names(self) -> list[str]:
        return sorted(self._sources)

    def get(self, source: str | None = None) -> Provider:
        name = source or self.default_source
        try:
            return self._sources[name]
        except KeyError:
            raise NotFound(f"no source named {name!r}") from None

    def numbers_provider(self) -> Provider:
        """The provider that lists and counts a tenant's numbers: the default source's."""
        return self.get()
