"""MessageSender: SMS analytics, billing and the campaign export, per its REST documents.

Assumptions where the document is silent, each configurable or written here:
- the key goes in `x-api-key` (the source's auth_header / auth_scheme change that);
- startDate and endDate take full ISO 8601 instants in UTC (`2026-11-01T03:00:00Z`), as its
  `dateRange` answers them;
- days are UTC days: trends and best send times in another timezone are UNSUPPORTED_BY_SOURCE;
- messages.total = sent + failed + messages not yet sent (counted as queued here).
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from gateway.domain.billing import BillingStatus, CreditProduct, Credits, Subscription
from gateway.domain.campaigns import (
    Campaign,
    CampaignRef,
    CampaignStatus,
    CampaignStatusCounts,
    Channel,
    SmsCampaignPerformance,
)
from gateway.domain.messages import DeliveryCounts
from gateway.domain.sms import (
    BestSendTimes,
    ContactTotals,
    RangeRequest,
    SendTimeSlot,
    SmsOverview,
    TrendDay,
)
from gateway.errors import GatewayError, UpstreamError
from gateway.providers.upstream.base import UpstreamProvider, each

__all__ = ["MessageSenderProvider"]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _counts(total: int, sent: int, delivered: int, failed: int) -> DeliveryCounts:
    delivered = max(delivered, 0)
    sent = max(sent, delivered)
    return DeliveryCounts(
        queued=max(total - sent - failed, 0),
        sent_only=sent - delivered,
        delivered_only=delivered,
        failed=max(failed, 0),
    )


class _Messages(BaseModel):
    model_config = ConfigDict(extra="ignore")
    total: int = 0
    sent: int = 0
    delivered: int = 0
    failed: int = 0


class _Overview(BaseModel):
    model_config = ConfigDict(extra="ignore")
    campaigns: dict[str, int] = Field(default_factory=dict)
    messages: _Messages = Field(default_factory=_Messages)
    contacts: dict[str, int] = Field(default_factory=dict)


class _TrendMessages(_Messages):
    date: date


class _TrendCampaigns(BaseModel):
    model_config = ConfigDict(extra="ignore")
    date: date
    completed: int = 0
    sending: int = 0
    failed: int = 0
    scheduled: int = 0
    draft: int = 0
    canceled: int = 0


class _TopCampaign(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    id: str
    name: str
    created_at: datetime = Field(alias="createdAt")
    total: int = Field(alias="totalCount")
    sent: int = Field(alias="sentCount")
    delivered: int = Field(alias="deliveredCount")
    failed: int = Field(alias="failedCount")


class _Slot(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    hour: int | None = None
    day_of_week: int | None = Field(None, alias="dayOfWeek")
    total_sent: int = Field(alias="totalSent")
    delivered: int


class _BestTimes(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    by_hour: list[_Slot] = Field(alias="byHour")
    by_day_of_week: list[_Slot] = Field(alias="byDayOfWeek")


class _Billing(BaseModel):
    model_config = ConfigDict(extra="ignore")
    organization_id: str
    brand: str | None = None
    billing_status: str
    pricing_model: str
    subscription: Subscription | None = None
    credits: dict[str, int]
    portal_urls: dict[str, str | None] = Field(default_factory=dict)
    available_credit_products: list[CreditProduct] = Field(default_factory=list)


class _Balance(BaseModel):
    model_config = ConfigDict(extra="ignore")
    balance: int


OVERVIEW = TypeAdapter(_Overview)
MESSAGE_TRENDS = TypeAdapter(list[_TrendMessages])
CAMPAIGN_TRENDS = TypeAdapter(list[_TrendCampaigns])
TOP_CAMPAIGNS = TypeAdapter(list[_TopCampaign])
BEST_TIMES = TypeAdapter(_BestTimes)
BILLING = TypeAdapter(_Billing)
BALANCE = TypeAdapter(_Balance)


class MessageSenderProvider(UpstreamProvider):
    platform = "messagesender"

    def _utc_only(self, request: RangeRequest, what: str) -> None:
        if request.timezone != "UTC":
            raise self.unsupported(f"{what} in {request.timezone} (its days are UTC days)")

    @staticmethod
    def _range(request: RangeRequest) -> dict[str, str]:
        return {"startDate": _iso(request.start), "endDate": _iso(request.end)}

    async def load_sms_overviews(
        self, requests: Sequence[RangeRequest]
    ) -> list[SmsOverview | GatewayError]:
        async def one(request: RangeRequest) -> SmsOverview:
            body = await self.fetch(
                "/api/analytics/overview", self._range(request), request.tenant_id, OVERVIEW
            )
            m, c = body.messages, body.contacts
            statuses = {
                k: v for k, v in body.campaigns.items() if k in CampaignStatusCounts.model_fields
            }
            return SmsOverview(
                request=request,
                campaigns=CampaignStatusCounts(**statuses),
                messages=_counts(m.total, m.sent, m.delivered, m.failed),
                contacts=ContactTotals(
                    total=c.get("total", 0),
                    textable=c.get("textable", 0),
                    opted_out=c.get("optedOut", 0),
                ),
            )

        return await each(requests, one)

    async def load_sms_trends(
        self, requests: Sequence[RangeRequest]
    ) -> list[list[TrendDay] | GatewayError]:
        async def one(request: RangeRequest) -> list[TrendDay]:
            self._utc_only(request, "daily trends")
            params = self._range(request)
            messages = await self.fetch(
                "/api/analytics/trends",
                {**params, "metric": "messages"},
                request.tenant_id,
                MESSAGE_TRENDS,
            )
            campaigns = await self.fetch(
                "/api/analytics/trends",
                {**params, "metric": "campaigns"},
                request.tenant_id,
                CAMPAIGN_TRENDS,
            )
            by_day = {p.date: p for p in messages}
            made = {p.date: p for p in campaigns}
            first = request.start.astimezone(UTC).date()
            last = (request.end - timedelta(microseconds=1)).astimezone(UTC).date()
            days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
            empty = _TrendMessages(date=first)
            return [
                TrendDay(
                    day=day,
                    messages=_counts(
                        *(
                            getattr(by_day.get(day, empty), f)
                            for f in ("total", "sent", "delivered", "failed")
                        )
                    ),
                    campaigns=CampaignStatusCounts(**made[day].model_dump(exclude={"date"}))
                    if day in made
                    else CampaignStatusCounts(),
                )
                for day in days
            ]

        return await each(requests, one)

    async def load_top_campaigns(
        self, requests: Sequence[RangeRequest]
    ) -> list[list[SmsCampaignPerformance] | GatewayError]:
        async def one(request: RangeRequest) -> list[SmsCampaignPerformance]:
            rows = await self.fetch(
                "/api/analytics/top-campaigns",
                {**self._range(request), "limit": str(request.limit)},
                request.tenant_id,
                TOP_CAMPAIGNS,
            )
            return [
                SmsCampaignPerformance(
                    campaign=Campaign(
                        ref=CampaignRef(
                            source=self.name,
                            tenant_id=request.tenant_id,
                            channel=Channel.SMS,
                            campaign_id=row.id,
                        ),
                        external_id=row.id,
                        name=row.name,
                        status=CampaignStatus.COMPLETED,
                        created_at=row.created_at,
                    ),
                    counts=_counts(row.total, row.sent, row.delivered, row.failed),
                )
                for row in rows
            ]

        return await each(requests, one)

    async def load_best_send_times(
        self, requests: Sequence[RangeRequest]
    ) -> list[BestSendTimes | GatewayError]:
        async def one(request: RangeRequest) -> BestSendTimes:
            self._utc_only(request, "best send times")
            body = await self.fetch(
                "/api/analytics/best-send-times",
                self._range(request),
                request.tenant_id,
                BEST_TIMES,
            )
            hours = {s.hour: s for s in body.by_hour if s.hour is not None}
            days = {s.day_of_week: s for s in body.by_day_of_week if s.day_of_week is not None}

            def slot(index: int, found: _Slot | None) -> SendTimeSlot:
                total, delivered = (found.total_sent, found.delivered) if found else (0, 0)
                return SendTimeSlot(slot=index, counts=_counts(total, total, delivered, 0))

            return BestSendTimes(
                by_hour=tuple(slot(h, hours.get(h)) for h in range(24)),
                by_day_of_week=tuple(slot(d, days.get(d)) for d in range(7)),
            )

        return await each(requests, one)

    async def load_campaign_exports(
        self, requests: Sequence[RangeRequest]
    ) -> list[list[SmsCampaignPerformance] | GatewayError]:
        async def one(request: RangeRequest) -> list[SmsCampaignPerformance]:
            response = await self.client.get(
                "/api/analytics/export",
                {**self._range(request), "type": "campaigns"},
                self.credential(request.tenant_id),
            )
            try:
                return [
                    self._export_row(request, row)
                    for row in csv.DictReader(io.StringIO(response.body.decode("utf-8-sig")))
                ]
            except (KeyError, ValueError):
                raise UpstreamError(
                    f"{self.name} answered an export of an unexpected shape",
                    source=self.name,
                    upstreamStatus=response.status,
                ) from None

        return await each(requests, one)

    def _export_row(self, request: RangeRequest, row: dict[str, str]) -> SmsCampaignPerformance:
        # The export has no campaign ids: rows are named by their content.
        digest = hashlib.sha256(repr(sorted(row.items())).encode()).hexdigest()[:16]
        completed = row.get("Completed At") or None
        return SmsCampaignPerformance(
            campaign=Campaign(
                ref=CampaignRef(
                    source=self.name,
                    tenant_id=request.tenant_id,
                    channel=Channel.SMS,
                    campaign_id=f"export-{digest}",
                ),
                external_id=digest,
                name=row["Campaign Name"],
                status=CampaignStatus(row["Status"].strip().lower()),
                created_at=datetime.fromisoformat(row["Created At"].replace("Z", "+00:00")),
                completed_at=datetime.fromisoformat(completed.replace("Z", "+00:00"))
                if completed
                else None,
            ),
            counts=_counts(
                int(row["Total Recipients"]),
                int(row["Sent"]),
                int(row["Delivered"]),
                int(row["Failed"]),
            ),
        )

    async def load_billing(
        self, tenant_ids: Sequence[str]
    ) -> list[BillingStatus | GatewayError | None]:
        async def one(tenant_id: str) -> BillingStatus | None:
            body = await self.fetch("/api/billing/status", {}, tenant_id, BILLING)
            credits = body.credits
            return BillingStatus(
                organization_id=body.organization_id,
                brand=body.brand,
                billing_status=body.billing_status,
                pricing_model=body.pricing_model,
                subscription=body.subscription,
                credits=Credits(
                    available=credits.get("available", 0), included=credits.get("included", 0)
                ),
                customer_portal_url=body.portal_urls.get("customer_portal"),
                subscription_management_url=body.portal_urls.get("subscription_management"),
                credit_products=tuple(body.available_credit_products),
            )

        return await each(tenant_ids, one)

    async def load_credit_balances(
        self, tenant_ids: Sequence[str]
    ) -> list[int | GatewayError | None]:
        async def one(tenant_id: str) -> int:
            return (await self.fetch("/api/credits/balance", {}, tenant_id, BALANCE)).balance

        return await each(tenant_ids, one)
