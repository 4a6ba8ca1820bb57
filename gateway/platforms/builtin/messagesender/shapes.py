"""MessageSender's answers as the gateway reads them: the keys its document shows, and only the
ones the graph uses."""

from __future__ import annotations

from pydantic import Field, TypeAdapter, model_validator

from gateway.domain.billing import Subscription
from gateway.domain.campaigns import CampaignStatusCounts
from gateway.domain.messages import DeliveryCounts
from gateway.providers.upstream.shapes import Count, Day, Moment, Shape, Signed, fit_int

__all__ = [
    "BALANCE",
    "BEST_TIMES",
    "BILLING",
    "CAMPAIGN_TRENDS",
    "MESSAGE_TRENDS",
    "OVERVIEW",
    "TOP_CAMPAIGNS",
    "delivery",
]


def delivery(total: int, sent: int, delivered: int, failed: int) -> DeliveryCounts:
    """Its counters as ours: messages.total = sent + failed + those not yet sent (queued)."""
    sent = max(sent, delivered)
    return DeliveryCounts(
        queued=max(total - sent - failed, 0),
        sent_only=sent - delivered,
        delivered_only=delivered,
        failed=failed,
    )


class _Messages(Shape):
    total: Count
    sent: Count
    delivered: Count
    failed: Count

    @model_validator(mode="after")
    def _total_fits(self) -> _Messages:
        fit_int(max(self.sent, self.delivered), self.failed)
        return self

    def counts(self) -> DeliveryCounts:
        return delivery(self.total, self.sent, self.delivered, self.failed)


class _Campaigns(Shape):
    """By status. Draft and canceled are not in the document's example; read when present."""

    completed: Count
    sending: Count
    scheduled: Count
    failed: Count
    draft: Count = 0
    canceled: Count = 0

    @model_validator(mode="after")
    def _total_fits(self) -> _Campaigns:
        fit_int(*self.model_dump().values())
        return self

    def counts(self) -> CampaignStatusCounts:
        return CampaignStatusCounts(**self.model_dump())


class _Contacts(Shape):
    total: Count
    textable: Count
    opted_out: Count = Field(alias="optedOut")


class _Overview(Shape):
    campaigns: _Campaigns
    messages: _Messages
    contacts: _Contacts


class _TrendMessages(_Messages):
    date: Day


class _TrendCampaigns(Shape):
    date: Day
    completed: Count
    sending: Count
    failed: Count
    scheduled: Count = 0
    draft: Count = 0
    canceled: Count = 0

    @model_validator(mode="after")
    def _total_fits(self) -> _TrendCampaigns:
        fit_int(*self.model_dump(exclude={"date"}).values())
        return self

    def counts(self) -> CampaignStatusCounts:
        return CampaignStatusCounts(**self.model_dump(exclude={"date"}))


class _TopCampaign(Shape):
    id: str = Field(min_length=1)
    name: str
    created_at: Moment = Field(alias="createdAt")
    total: Count = Field(alias="totalCount")
    sent: Count = Field(alias="sentCount")
    delivered: Count = Field(alias="deliveredCount")
    failed: Count = Field(alias="failedCount")

    @model_validator(mode="after")
    def _total_fits(self) -> _TopCampaign:
        fit_int(max(self.sent, self.delivered), self.failed)
        return self

    def counts(self) -> DeliveryCounts:
        return delivery(self.total, self.sent, self.delivered, self.failed)


class _Hour(Shape):
    hour: int = Field(ge=0, le=23)
    total_sent: Count = Field(alias="totalSent")
    delivered: Count


class _Weekday(Shape):
    day_of_week: int = Field(alias="dayOfWeek", ge=0, le=6)  # 0 = Sunday
    total_sent: Count = Field(alias="totalSent")
    delivered: Count


class _BestTimes(Shape):
    by_hour: list[_Hour] = Field(alias="byHour")
    by_day_of_week: list[_Weekday] = Field(alias="byDayOfWeek")


class _Credits(Shape):
    available: Signed
    included: Signed

    @model_validator(mode="after")
    def _total_fits(self) -> _Credits:
        fit_int(self.available, self.included)
        return self


class _PortalUrls(Shape):
    customer_portal: str | None = None
    subscription_management: str | None = None


class _CreditProduct(Shape):
    id: str
    name: str
    credits_amount: Count
    price_cents: Count


class _Billing(Shape):
    organization_id: str
    brand: str | None = None
    billing_status: str
    pricing_model: str
    # The domain's own model: every field but id optional, keys beyond them ignored.
    subscription: Subscription | None = None
    credits: _Credits
    portal_urls: _PortalUrls = _PortalUrls()
    available_credit_products: list[_CreditProduct] = []


class _Balance(Shape):
    balance: Signed


OVERVIEW = TypeAdapter(_Overview)
MESSAGE_TRENDS = TypeAdapter(list[_TrendMessages])
CAMPAIGN_TRENDS = TypeAdapter(list[_TrendCampaigns])
TOP_CAMPAIGNS = TypeAdapter(list[_TopCampaign])
BEST_TIMES = TypeAdapter(_BestTimes)
BILLING = TypeAdapter(_Billing)
BALANCE = TypeAdapter(_Balance)
