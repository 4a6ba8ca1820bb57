"""Email reports in the graph: dashboard with diffs, overall performance, histograms,
campaign reports and engagement."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from gateway.domain.auth import REPORTS_READ
from gateway.domain.email import (
    LINK_ACTIVITY_TOP,
    EmailCampaignReport,
    EmailCounts,
    EmailDashboard,
    EmailPoint,
    PastDaysRequest,
)
from gateway.domain.links import is_http_url
from gateway.domain.timewindows import percent_diff
from gateway.errors import TooManyResults, UnsupportedBySource
from gateway.schema.args import Info, PastDaysArg, TimezoneArg, TzArg, past_days_request
from gateway.schema.email_counts import EmailDashboardCounts, refuse_inexact

__all__ = ["EmailCampaignReportType", "EmailQueries", "EngagementPoint", "engagement_point"]


@strawberry.type(description="Unique recipients and their rate, and every event counted.")
class Engagement:
    distinct: strawberry.Private[int]
    events: strawberry.Private[int]
    share: strawberry.Private[float]
    figure: strawberry.Private[str]  # its name in EmailCounts, for a platform's inexact ones
    counts: strawberry.Private[EmailCounts]
    request: strawberry.Private[PastDaysRequest | None]

    def _exact(self) -> None:
        if self.request is not None:
            refuse_inexact(self.figure, self.request, self.counts)

    @strawberry.field(
        description="Distinct recipients with at least one; over a window, those whose first"
        " one falls in it (so that windows add up)."
    )
    def unique(self) -> int:
        self._exact()
        return self.distinct

    @strawberry.field(description="Every event, repeats included.")
    def total(self) -> int:
        return self.events

    @strawberry.field(
        description="The rate: unique / delivered * 100, rounded half-up to 2 places."
    )
    def rate(self) -> float:
        self._exact()
        return self.share


@strawberry.type(description="Bounces: hard (permanent) plus soft (temporary) make the total.")
class Bounces:
    hard: int = strawberry.field(description="Recipients whose address failed for good.")
    soft: int = strawberry.field(description="Recipients with a temporary failure only.")
    total: int = strawberry.field(description="Every bounce: hard + soft.")


@strawberry.type(description="Email performance: sent, delivered, opens, clicks, bounces.")
class EmailPerformance:
    sent: int = strawberry.field(description="Emails dispatched.")
    delivered: int = strawberry.field(description="Emails delivered: sent - bounces.")
    opens: Engagement = strawberry.field(description="Opens.")
    clicks: Engagement = strawberry.field(description="Clicks.")
    bounces: Bounces = strawberry.field(description="Bounces.")
    unsubscribes: int = strawberry.field(description="Recipients who unsubscribed.")


def performance(counts: EmailCounts, request: PastDaysRequest | None = None) -> EmailPerformance:
    """A campaign's performance, or a window's (`request`), where a figure its platform counts
    within one day only is refused in its own fields."""
    return EmailPerformance(
        sent=counts.sent,
        delivered=counts.delivered,
        opens=Engagement(
            distinct=counts.opened,
            events=counts.opens,
            share=counts.open_rate,
            figure="opened",
            counts=counts,
            request=request,
        ),
        clicks=Engagement(
            distinct=counts.clicked,
            events=counts.clicks,
            share=counts.click_rate,
            figure="clicked",
            counts=counts,
            request=request,
        ),
        bounces=Bounces(hard=counts.hard_bounced, soft=counts.soft_bounced, total=counts.bounced),
        unsubscribes=counts.unsubscribed,
    )


@strawberry.type(description="Clicks on one link of a campaign.")
class LinkActivityType:
    url: str = strawberry.field(description="The link: always an http(s) URL.")
    clicks: int = strawberry.field(description="Every click on it.")
    unique: strawberry.Private[int | None]
    source: strawberry.Private[str]

    @strawberry.field(description="Distinct recipients who clicked it.")
    def unique_clicks(self) -> int:
        if self.unique is None:
            raise UnsupportedBySource(
                "the source of this campaign counts clicks per link, not recipients",
                source=self.source,
            )
        return self.unique


@strawberry.type(
    name="EmailCampaignReport",
    description="A campaign's report, as the email"
    " platform's GET /api/reports/email/:id answers it.",
)
class EmailCampaignReportType:
    model: strawberry.Private[EmailCampaignReport]

    @strawberry.field(description="Sent, delivered, opens, clicks, bounces, unsubscribes.")
    def performance(self) -> EmailPerformance:
        return performance(self.model.counts)

    @strawberry.field(
        description=f"Clicks per link, most clicked first: the {LINK_ACTIVITY_TOP} most clicked;"
        " a link on record that is not http(s) is left out, so that it is never served as a link."
    )
    def link_activity(self) -> list[LinkActivityType]:
        if (bound := self.model.links_bound) is not None:
            source = self.model.campaign.ref.source
            raise TooManyResults(
                f"{source} holds more than the {bound} link rows read for one campaign's"
                " report, so its most clicked links cannot be told (its platform's"
                " documentation says how to raise the bound)",
                limit="maxLinkRows",
                max=bound,
                source=source,
            )
        return [
            LinkActivityType(
                url=link.url,
                clicks=link.clicks,
                unique=link.unique_clicks,
                source=self.model.campaign.ref.source,
            )
            for link in self.model.links
            if is_http_url(link.url)
        ]


@strawberry.type(description="One bucket of a campaign's engagement.")
class EngagementPoint:
    start: datetime = strawberry.field(description="When the bucket starts.")
    date: date = strawberry.field(description="The local day it starts on.")
    opens: int = strawberry.field(description="Opens in the bucket.")
    unique_opens: int = strawberry.field(description="Recipients whose first open it holds.")
    clicks: int = strawberry.field(description="Clicks in the bucket.")
    unique_clicks: int = strawberry.field(description="Recipients whose first click it holds.")


def engagement_point(point: EmailPoint) -> EngagementPoint:
    c = point.counts
    return EngagementPoint(
        start=point.start,
        date=point.day,
        opens=c.opens,
        unique_opens=c.opened,
        clicks=c.clicks,
        unique_clicks=c.clicked,
    )


@strawberry.type(description="One local day of email activity, each event on its own day.")
class EmailHistogramDay:
    date: date = strawberry.field(description="The local day.")
    sent: int = strawberry.field(description="Emails sent that day.")
    opens: int = strawberry.field(description="Opens that day.")
    unique_opens: int = strawberry.field(description="Recipients whose first open was that day.")
    clicks: int = strawberry.field(description="Clicks that day.")
    unique_clicks: int = strawberry.field(description="Recipients whose first click was then.")
    hard_bounces: int = strawberry.field(description="Hard bounces that day.")
    soft_bounces: int = strawberry.field(description="Soft bounces that day.")
    unsubscribes: int = strawberry.field(description="Unsubscribes that day.")


@strawberry.type(description="A figure now, in the preceding window, and the change.")
class DashboardFigure:
    value: float = strawberry.field(description="In the current window.")
    previous: float = strawberry.field(description="In the preceding window of the same length.")
    diff: float | None = strawberry.field(
        description="(value - previous) / previous * 100, rounded half-up to 2 places; null when"
        " previous is 0."
    )


# A count's figure answers its value as a Float (5493.0); its Int twin is under `counts`.
_COUNT_MOVED = "Use counts.{0}: the same count, typed Int instead of Float."


def _figure(now: float, before: float) -> DashboardFigure:
    return DashboardFigure(value=now, previous=before, diff=percent_diff(now, before))


@strawberry.type(
    name="EmailDashboard",
    description="A snapshot of email and contact"
    " performance with changes against the preceding window.",
)
class EmailDashboardType:
    model: strawberry.Private[EmailDashboard]

    def _pair(self, name: str) -> DashboardFigure:
        now, before = self.model.current, self.model.previous
        refuse_inexact(name, self.model.request, now.counts, before.counts)
        if hasattr(now, name):
            current, previous = getattr(now, name), getattr(before, name)
            if current is None or previous is None:
                raise UnsupportedBySource(
                    f"the source of this tenant's email reports does not count {name}",
                    source=self.model.request.source,
                )
            return _figure(current, previous)
        return _figure(getattr(now.counts, name), getattr(before.counts, name))

    @strawberry.field(description="Local days in each window.")
    def past_days(self) -> int:
        return self.model.request.past_days

    @strawberry.field(
        description="The counts of this dashboard as whole numbers (Int); the rates are"
        " openRate and clickRate."
    )
    def counts(self) -> EmailDashboardCounts:
        return EmailDashboardCounts(model=self.model)

    @strawberry.field(
        description="Email campaigns sent.",
        deprecation_reason=_COUNT_MOVED.format("campaignsSent"),
    )
    def campaigns_sent(self) -> DashboardFigure:
        return self._pair("campaigns_sent")

    @strawberry.field(
        description="Emails sent.",
        deprecation_reason=_COUNT_MOVED.format("emailsSent"),
    )
    def emails_sent(self) -> DashboardFigure:
        return self._pair("sent")

    @strawberry.field(
        description="Emails delivered: sent - bounces.",
        deprecation_reason=_COUNT_MOVED.format("delivered"),
    )
    def delivered(self) -> DashboardFigure:
        return self._pair("delivered")

    @strawberry.field(
        description="Recipients who opened for the first time.",
        deprecation_reason=_COUNT_MOVED.format("uniqueOpens"),
    )
    def unique_opens(self) -> DashboardFigure:
        return self._pair("opened")

    @strawberry.field(
        description="Recipients who clicked for the first time.",
        deprecation_reason=_COUNT_MOVED.format("uniqueClicks"),
    )
    def unique_clicks(self) -> DashboardFigure:
        return self._pair("clicked")

    @strawberry.field(description="Open rate in percent of delivered.")
    def open_rate(self) -> DashboardFigure:
        return self._pair("open_rate")

    @strawberry.field(description="Click rate in percent of delivered.")
    def click_rate(self) -> DashboardFigure:
        return self._pair("click_rate")

    @strawberry.field(
        description="Hard and soft bounces.",
        deprecation_reason=_COUNT_MOVED.format("bounces"),
    )
    def bounces(self) -> DashboardFigure:
        return self._pair("bounced")

    @strawberry.field(
        description="Unsubscribes.",
        deprecation_reason=_COUNT_MOVED.format("unsubscribes"),
    )
    def unsubscribes(self) -> DashboardFigure:
        return self._pair("unsubscribed")

    @strawberry.field(
        description="Contacts created.",
        deprecation_reason=_COUNT_MOVED.format("newContacts"),
    )
    def new_contacts(self) -> DashboardFigure:
        return self._pair("new_contacts")


@strawberry.type(description="The email platform's reports (all need reports:read).")
class EmailReports:
    @strawberry.field(description="Dashboard snapshot with diffs (GET /api/reports/dashboard).")
    async def dashboard(
        self, info: Info, past_days: PastDaysArg, timezone: TimezoneArg = None, tz: TzArg = None
    ) -> EmailDashboardType | None:
        request = past_days_request(info, past_days, timezone, tz)
        return EmailDashboardType(
            model=await info.context.loaders.email_dashboards.get(request, info)
        )

    @strawberry.field(
        description="Email performance over the window (GET /api/reports/email/overall)."
    )
    async def overall(
        self, info: Info, past_days: PastDaysArg, timezone: TimezoneArg = None, tz: TzArg = None
    ) -> EmailPerformance | None:
        request = past_days_request(info, past_days, timezone, tz)
        return performance(await info.context.loaders.email_overall.get(request, info), request)

    @strawberry.field(
        description="Email activity per local day (GET /api/reports/email/overall/histogram)."
    )
    async def histogram(
        self, info: Info, past_days: PastDaysArg, timezone: TimezoneArg = None, tz: TzArg = None
    ) -> list[EmailHistogramDay] | None:
        request = past_days_request(info, past_days, timezone, tz)
        points = await info.context.loaders.email_histograms.get(request, info)
        return [
            EmailHistogramDay(
                date=p.day,
                sent=p.counts.sent,
                opens=p.counts.opens,
                unique_opens=p.counts.opened,
                clicks=p.counts.clicks,
                unique_clicks=p.counts.clicked,
                hard_bounces=p.counts.hard_bounced,
                soft_bounces=p.counts.soft_bounced,
                unsubscribes=p.counts.unsubscribed,
            )
            for p in points
        ]


@strawberry.type
class EmailQueries:
    @strawberry.field(
        description="Email reports: dashboard, overall performance, histogram."
        " Campaign reports are on EmailCampaign."
    )
    def email(self, info: Info) -> EmailReports | None:
        info.context.principal.require_tenant_scope(REPORTS_READ)
        return EmailReports()
