"""The email platform's reports API: dashboard, overall, histogram, campaign report, engagement.

Its document names the endpoints, parameters and fields but shows no JSON bodies; the shapes
assumed here (each field named as the document names it; those the gateway reads are required,
and keys beyond them are ignored) are:
- /api/reports/dashboard: {"<figure>": {"value", "previous", "diff"}} for campaignsSent,
  emailsSent, delivered, uniqueOpens, uniqueClicks, bounces, unsubscribes, newContacts;
- /api/reports/email/overall and /api/reports/email/:id: {"sent", "delivered", "opens": {"unique",
  "total", "rate"}, "clicks": {...}, "hardBounces", "softBounces", "totalBounces", "unsubscribes"},
  the campaign report adding "campaign": {"id", "name", "status", "createdAt", "sentAt"} and
  "linkActivity": [{"url", "clicks", "uniqueClicks"}];
- /api/reports/email/overall/histogram: [{"date", "sent", "opens", "uniqueOpens", "clicks",
  "uniqueClicks", "hardBounces", "softBounces", "unsubscribes"}];
- /api/reports/email/:id/engagement: [{"start", "opens", "uniqueOpens", "clicks",
  "uniqueClicks"}].
The key goes in `Authorization: Bearer` unless the source's auth_header / auth_scheme say else.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

from gateway.domain.campaigns import Campaign, CampaignRef, Channel
from gateway.domain.email import (
    EmailCampaignReport,
    EmailCounts,
    EmailDashboard,
    EmailPoint,
    EngagementRequest,
    LinkActivity,
    PastDaysRequest,
)
from gateway.errors import GatewayError
from gateway.platforms.builtin.emailreports.shapes import (
    DASHBOARD,
    ENGAGEMENT,
    HISTOGRAM,
    PERFORMANCE,
    REPORT,
    CampaignInfo,
    Report,
)
from gateway.providers.upstream.base import UpstreamProvider, each

__all__ = ["EmailReportsProvider"]


class EmailReportsProvider(UpstreamProvider):
    platform = "emailreports"

    @staticmethod
    def _window(request: PastDaysRequest) -> dict[str, str]:
        return {"pastDays": str(request.past_days), "timezone": request.timezone}

    async def load_email_dashboards(
        self, requests: Sequence[PastDaysRequest]
    ) -> list[EmailDashboard | GatewayError]:
        async def one(request: PastDaysRequest) -> EmailDashboard:
            figures = await self.fetch(
                "/api/reports/dashboard", self._window(request), request.tenant_id, DASHBOARD
            )
            return EmailDashboard(
                request=request, current=figures.side("value"), previous=figures.side("previous")
            )

        return await each(requests, one)

    async def load_email_overall(
        self, requests: Sequence[PastDaysRequest]
    ) -> list[EmailCounts | GatewayError]:
        async def one(request: PastDaysRequest) -> EmailCounts:
            body = await self.fetch(
                "/api/reports/email/overall",
                self._window(request),
                request.tenant_id,
                PERFORMANCE,
            )
            return body.counts()

        return await each(requests, one)

    async def load_email_histograms(
        self, requests: Sequence[PastDaysRequest]
    ) -> list[list[EmailPoint] | GatewayError]:
        async def one(request: PastDaysRequest) -> list[EmailPoint]:
            points = await self.fetch(
                "/api/reports/email/overall/histogram",
                self._window(request),
                request.tenant_id,
                HISTOGRAM,
            )
            by_day = {p.date: p.counts() for p in points}
            zone = ZoneInfo(request.timezone)
            days = [request.today - timedelta(days=i) for i in range(request.past_days - 1, -1, -1)]
            return [
                EmailPoint(
                    start=datetime.combine(day, datetime.min.time(), zone).astimezone(UTC),
                    day=day,
                    counts=by_day.get(day, EmailCounts()),
                )
                for day in days
            ]

        return await each(requests, one)

    async def _report(self, tenant_id: str, campaign_id: str) -> Report:
        return await self.fetch(
            f"/api/reports/email/{quote(campaign_id, safe='')}", {}, tenant_id, REPORT
        )

    def _campaign(self, tenant_id: str, info: CampaignInfo) -> Campaign:
        return Campaign(
            ref=CampaignRef(
                source=self.name, tenant_id=tenant_id, channel=Channel.EMAIL, campaign_id=info.id
            ),
            external_id=info.id,
            name=info.name,
            status=info.status,
            created_at=info.created_at,
            sent_at=info.sent_at,
        )

    async def load_campaigns(
        self, refs: Sequence[CampaignRef]
    ) -> list[Campaign | GatewayError | None]:
        async def one(ref: CampaignRef) -> Campaign | None:
            if ref.channel is not Channel.EMAIL:
                return None
            report = await self._report(ref.tenant_id, ref.campaign_id)
            return self._campaign(ref.tenant_id, report.campaign)

        return await each(refs, one)

    async def load_email_reports(
        self, campaigns: Sequence[Campaign]
    ) -> list[EmailCampaignReport | GatewayError]:
        async def one(campaign: Campaign) -> EmailCampaignReport:
            # The same GET as load_campaigns: the request's memo sends it once.
            report = await self._report(campaign.ref.tenant_id, campaign.ref.campaign_id)
            links = tuple(
                LinkActivity(url=link.url, clicks=link.clicks, unique_clicks=link.unique_clicks)
                for link in report.link_activity
            )
            return EmailCampaignReport(campaign=campaign, counts=report.counts(), links=links)

        return await each(campaigns, one)

    async def load_engagements(
        self, requests: Sequence[EngagementRequest]
    ) -> list[list[EmailPoint] | GatewayError]:
        async def one(request: EngagementRequest) -> list[EmailPoint]:
            ref = request.campaign
            points = await self.fetch(
                f"/api/reports/email/{quote(ref.campaign_id, safe='')}/engagement",
                {"period": request.period.value, "timezone": request.timezone},
                ref.tenant_id,
                ENGAGEMENT,
            )
            zone = ZoneInfo(request.timezone)
            return [
                EmailPoint(
                    start=p.start.astimezone(UTC),
                    day=p.start.astimezone(zone).date(),
                    counts=p.counts(),
                )
                for p in points
            ]

        return await each(requests, one)
