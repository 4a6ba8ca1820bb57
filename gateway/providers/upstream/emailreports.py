"""The email platform's reports API: dashboard, overall, histogram, campaign report, engagement.

Its document names the endpoints, parameters and fields but shows no JSON bodies; the shapes
assumed here (each field named as the document names it) are:
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
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar
from urllib.parse import quote
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from gateway.domain.campaigns import Campaign, CampaignRef, CampaignStatus, Channel
from gateway.domain.email import (
    EmailCampaignReport,
    EmailCounts,
    EmailDashboard,
    EmailDashboardFigures,
    EmailPoint,
    EngagementRequest,
    LinkActivity,
    PastDaysRequest,
)
from gateway.errors import GatewayError, UpstreamError
from gateway.providers.upstream.base import UpstreamProvider, each

__all__ = ["EmailReportsProvider"]

M = TypeVar("M")


class _Engagement(BaseModel):
    model_config = ConfigDict(extra="ignore")
    unique: int = 0
    total: int | None = None


class _Performance(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    sent: int = 0
    opens: _Engagement = Field(default_factory=_Engagement)
    clicks: _Engagement = Field(default_factory=_Engagement)
    hard: int = Field(0, alias="hardBounces")
    soft: int = Field(0, alias="softBounces")
    unsubscribes: int = 0

    def counts(self) -> EmailCounts:
        return EmailCounts(
            sent=self.sent,
            opened=self.opens.unique,
            clicked=self.clicks.unique,
            opens=self.opens.total if self.opens.total is not None else self.opens.unique,
            clicks=self.clicks.total if self.clicks.total is not None else self.clicks.unique,
            soft_bounced=self.soft,
            hard_bounced=self.hard,
            unsubscribed=self.unsubscribes,
        )


class _CampaignInfo(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    id: str
    name: str
    status: CampaignStatus = CampaignStatus.COMPLETED
    created_at: datetime = Field(alias="createdAt")
    sent_at: datetime | None = Field(None, alias="sentAt")


class _Link(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    url: str
    clicks: int
    unique_clicks: int = Field(alias="uniqueClicks")


class _Report(_Performance):
    campaign: _CampaignInfo
    link_activity: list[_Link] = Field(default_factory=list, alias="linkActivity")


class _Figure(BaseModel):
    model_config = ConfigDict(extra="ignore")
    value: float = 0
    previous: float = 0


Day = date  # the field below is named date too


class _Point(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    date: Day | None = None
    start: datetime | None = None
    sent: int = 0
    opens: int = 0
    unique_opens: int = Field(0, alias="uniqueOpens")
    clicks: int = 0
    unique_clicks: int = Field(0, alias="uniqueClicks")
    hard: int = Field(0, alias="hardBounces")
    soft: int = Field(0, alias="softBounces")
    unsubscribes: int = 0

    def counts(self) -> EmailCounts:
        return EmailCounts(
            sent=self.sent,
            opened=self.unique_opens,
            clicked=self.unique_clicks,
            opens=self.opens,
            clicks=self.clicks,
            soft_bounced=self.soft,
            hard_bounced=self.hard,
            unsubscribed=self.unsubscribes,
        )


_POINTS: TypeAdapter[list[_Point]] = TypeAdapter(list[_Point])
PERFORMANCE = TypeAdapter(_Performance)
REPORT = TypeAdapter(_Report)
_FIGURES: TypeAdapter[dict[str, _Figure]] = TypeAdapter(dict[str, _Figure])


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
                "/api/reports/dashboard", self._window(request), request.tenant_id, _FIGURES
            )

            def side(attr: str) -> EmailDashboardFigures:
                def n(name: str) -> int:
                    figure = figures.get(name, _Figure())
                    return int(getattr(figure, attr))

                bounces = n("bounces")
                sent = max(n("emailsSent"), n("delivered") + bounces)
                return EmailDashboardFigures(
                    counts=EmailCounts(
                        sent=sent,
                        opened=n("uniqueOpens"),
                        clicked=n("uniqueClicks"),
                        hard_bounced=bounces,
                        unsubscribed=n("unsubscribes"),
                    ),
                    campaigns_sent=n("campaignsSent"),
                    new_contacts=n("newContacts"),
                )

            return EmailDashboard(request=request, current=side("value"), previous=side("previous"))

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
                _POINTS,
            )
            by_day = {p.date: p.counts() for p in points if p.date is not None}
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

    async def _report(self, tenant_id: str, campaign_id: str) -> _Report:
        return await self.fetch(
            f"/api/reports/email/{quote(campaign_id, safe='')}", {}, tenant_id, REPORT
        )

    def _campaign(self, tenant_id: str, info: _CampaignInfo) -> Campaign:
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
                _POINTS,
            )
            zone = ZoneInfo(request.timezone)
            answer = []
            for p in points:
                start = p.start or (
                    datetime.combine(p.date, datetime.min.time(), zone) if p.date else None
                )
                if start is None:
                    raise UpstreamError(
                        f"{self.name} answered an engagement point without a time",
                        source=self.name,
                        upstreamStatus=200,
                    )
                answer.append(
                    EmailPoint(
                        start=start.astimezone(UTC),
                        day=start.astimezone(zone).date(),
                        counts=p.counts(),
                    )
                )
            return answer

        return await each(requests, one)
