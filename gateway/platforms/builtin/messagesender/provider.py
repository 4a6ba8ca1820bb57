"""MessageSender: SMS analytics, billing and the campaign export, per its REST documents.

Assumptions where the document is silent, each configurable or written here:
- the key goes in `x-api-key` (the source's auth_header / auth_scheme change that);
- startDate and endDate are ISO dates, as the document types them, naming UTC days, and
  endDate's day is not included (its `dateRange` answers end at that midnight): a range that is
  not whole UTC days is UNSUPPORTED_BY_SOURCE, unless the source's range_format = "instant"
  sends full instants (`2026-11-01T03:00:00Z`). A range the caller left to its defaults (30
  days, 90 for best send times, ending now, as the document's own) is asked without them;
- days are UTC days: trends and best send times in another timezone are UNSUPPORTED_BY_SOURCE;
- messages.total = sent + failed + messages not yet sent (counted as queued here).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta

from gateway.domain.billing import BillingStatus, CreditProduct, Credits
from gateway.domain.campaigns import (
    Campaign,
    CampaignRef,
    CampaignStatus,
    CampaignStatusCounts,
    Channel,
    SmsCampaignPerformance,
)
from gateway.domain.sms import (
    BestSendTimes,
    ContactTotals,
    RangeRequest,
    SendTimeSlot,
    SmsOverview,
    TrendDay,
)
from gateway.errors import GatewayError
from gateway.platforms.builtin.messagesender.export import export_rows
from gateway.platforms.builtin.messagesender.shapes import (
    BALANCE,
    BEST_TIMES,
    BILLING,
    CAMPAIGN_TRENDS,
    MESSAGE_TRENDS,
    OVERVIEW,
    TOP_CAMPAIGNS,
    delivery,
)
from gateway.providers.upstream.base import UpstreamProvider, each

__all__ = ["MessageSenderProvider"]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class MessageSenderProvider(UpstreamProvider):
    platform = "messagesender"

    def _utc_only(self, request: RangeRequest, what: str) -> None:
        if request.timezone != "UTC":
            raise self.unsupported(f"{what} in {request.timezone} (its days are UTC days)")

    def _range(self, request: RangeRequest) -> dict[str, str]:
        """startDate/endDate as this source takes them."""
        if getattr(self.client.config, "range_format", "date") == "instant":
            return {"startDate": _iso(request.start), "endDate": _iso(request.end)}
        params = {}
        # Left out, each is the document's own default (now; 30 or 90 days before it).
        if not request.end_defaulted:
            params["endDate"] = self._day(request.end, "end")
        if not (request.start_defaulted and request.end_defaulted):
            params["startDate"] = self._day(request.start, "start")
        return params

    def _day(self, moment: datetime, which: str) -> str:
        utc = moment.astimezone(UTC)
        if utc.time() != time(0):
            raise self.unsupported(
                f"a range whose {which} is not a UTC midnight ({_iso(moment)}): it takes whole"
                ' UTC days as ISO dates (range_format = "instant" sends instants)'
            )
        return utc.date().isoformat()

    async def load_sms_overviews(
        self, requests: Sequence[RangeRequest]
    ) -> list[SmsOverview | GatewayError]:
        async def one(request: RangeRequest) -> SmsOverview:
            body = await self.fetch(
                "/api/analytics/overview", self._range(request), request.tenant_id, OVERVIEW
            )
            contacts = body.contacts
            return SmsOverview(
                request=request,
                campaigns=body.campaigns.counts(),
                messages=body.messages.counts(),
                contacts=ContactTotals(
                    total=contacts.total,
                    textable=contacts.textable,
                    opted_out=contacts.opted_out,
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
            by_day = {p.date: p.counts() for p in messages}
            made = {p.date: p.counts() for p in campaigns}
            first = request.start.astimezone(UTC).date()
            last = (request.end - timedelta(microseconds=1)).astimezone(UTC).date()
            days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
            return [
                TrendDay(
                    day=day,
                    messages=by_day.get(day, delivery(0, 0, 0, 0)),
                    campaigns=made.get(day, CampaignStatusCounts()),
                )
                for day in days
            ]

        return await each(requests, one)

    def _campaign(self, tenant_id: str, campaign_id: str) -> CampaignRef:
        return CampaignRef(
            source=self.name, tenant_id=tenant_id, channel=Channel.SMS, campaign_id=campaign_id
        )

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
                        ref=self._campaign(request.tenant_id, row.id),
                        external_id=row.id,
                        name=row.name,
                        status=CampaignStatus.COMPLETED,
                        created_at=row.created_at,
                    ),
                    counts=row.counts(),
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
            hours = {s.hour: (s.total_sent, s.delivered) for s in body.by_hour}
            days = {s.day_of_week: (s.total_sent, s.delivered) for s in body.by_day_of_week}

            def slot(index: int, found: tuple[int, int]) -> SendTimeSlot:
                total, delivered = found
                return SendTimeSlot(slot=index, counts=delivery(total, total, delivered, 0))

            return BestSendTimes(
                by_hour=tuple(slot(h, hours.get(h, (0, 0))) for h in range(24)),
                by_day_of_week=tuple(slot(d, days.get(d, (0, 0))) for d in range(7)),
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
                # The export is CSV; its errors, like every other endpoint's, are JSON.
                accept="text/csv, application/json;q=0.5",
            )
            return export_rows(self.name, request.tenant_id, response.body, response.status)

        return await each(requests, one)

    async def load_billing(
        self, tenant_ids: Sequence[str]
    ) -> list[BillingStatus | GatewayError | None]:
        async def one(tenant_id: str) -> BillingStatus | None:
            body = await self.fetch("/api/billing/status", {}, tenant_id, BILLING)
            return BillingStatus(
                organization_id=body.organization_id,
                brand=body.brand,
                billing_status=body.billing_status,
                pricing_model=body.pricing_model,
                subscription=body.subscription,
                credits=Credits(available=body.credits.available, included=body.credits.included),
                customer_portal_url=body.portal_urls.customer_portal,
                subscription_management_url=body.portal_urls.subscription_management,
                credit_products=tuple(
                    CreditProduct(**product.model_dump())
                    for product in body.available_credit_products
                ),
            )

        return await each(tenant_ids, one)

    async def load_credit_balances(
        self, tenant_ids: Sequence[str]
    ) -> list[int | GatewayError | None]:
        async def one(tenant_id: str) -> int:
            return (await self.fetch("/api/credits/balance", {}, tenant_id, BALANCE)).balance

        return await each(tenant_ids, one)
