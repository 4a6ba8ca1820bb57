"""The email reports API's answers as the gateway reads them: the shapes assumed in
`emailreports` (its document shows no bodies), and only the keys the graph uses."""

from __future__ import annotations

from pydantic import Field, TypeAdapter, model_validator

from gateway.domain.campaigns import CampaignStatus
from gateway.domain.email import EmailCounts, EmailDashboardFigures
from gateway.providers.upstream.shapes import Count, Day, Moment, Shape, fit_int

__all__ = [
    "DASHBOARD",
    "ENGAGEMENT",
    "HISTOGRAM",
    "PERFORMANCE",
    "REPORT",
    "CampaignInfo",
    "Report",
]


class _Engagement(Shape):
    unique: Count
    total: Count | None = None


class _Performance(Shape):
    sent: Count
    opens: _Engagement
    clicks: _Engagement
    hard: Count = Field(alias="hardBounces")
    soft: Count = Field(alias="softBounces")
    unsubscribes: Count = 0

    @model_validator(mode="after")
    def _bounces_fit(self) -> _Performance:
        fit_int(self.hard, self.soft)
        return self

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


class CampaignInfo(Shape):
    id: str = Field(min_length=1)
    name: str
    status: CampaignStatus = CampaignStatus.COMPLETED
    created_at: Moment = Field(alias="createdAt")
    sent_at: Moment | None = Field(None, alias="sentAt")


class _Link(Shape):
    url: str
    clicks: Count
    unique_clicks: Count = Field(alias="uniqueClicks")


class Report(_Performance):
    campaign: CampaignInfo
    link_activity: list[_Link] = Field(default_factory=list, alias="linkActivity")


class _Figure(Shape):
    value: Count
    previous: Count


class _Dashboard(Shape):
    campaigns_sent: _Figure = Field(alias="campaignsSent")
    emails_sent: _Figure = Field(alias="emailsSent")
    delivered: _Figure
    unique_opens: _Figure = Field(alias="uniqueOpens")
    unique_clicks: _Figure = Field(alias="uniqueClicks")
    bounces: _Figure
    unsubscribes: _Figure
    new_contacts: _Figure = Field(alias="newContacts")

    @model_validator(mode="after")
    def _sent_fits(self) -> _Dashboard:
        for side in ("value", "previous"):
            fit_int(getattr(self.delivered, side), getattr(self.bounces, side))
        return self

    def side(self, attr: str) -> EmailDashboardFigures:
        def n(figure: _Figure) -> int:
            return int(getattr(figure, attr))

        bounces = n(self.bounces)
        return EmailDashboardFigures(
            counts=EmailCounts(
                sent=max(n(self.emails_sent), n(self.delivered) + bounces),
                opened=n(self.unique_opens),
                clicked=n(self.unique_clicks),
                hard_bounced=bounces,
                unsubscribed=n(self.unsubscribes),
            ),
            campaigns_sent=n(self.campaigns_sent),
            new_contacts=n(self.new_contacts),
        )


class _HistogramDay(Shape):
    date: Day
    sent: Count
    opens: Count
    unique_opens: Count = Field(alias="uniqueOpens")
    clicks: Count
    unique_clicks: Count = Field(alias="uniqueClicks")
    hard: Count = Field(0, alias="hardBounces")
    soft: Count = Field(0, alias="softBounces")
    unsubscribes: Count = 0

    @model_validator(mode="after")
    def _bounces_fit(self) -> _HistogramDay:
        fit_int(self.hard, self.soft)
        return self

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


class _EngagementPoint(Shape):
    start: Moment
    opens: Count
    unique_opens: Count = Field(alias="uniqueOpens")
    clicks: Count
    unique_clicks: Count = Field(alias="uniqueClicks")

    def counts(self) -> EmailCounts:
        return EmailCounts(
            opened=self.unique_opens,
            clicked=self.unique_clicks,
            opens=self.opens,
            clicks=self.clicks,
        )


HISTOGRAM = TypeAdapter(list[_HistogramDay])
ENGAGEMENT = TypeAdapter(list[_EngagementPoint])
PERFORMANCE = TypeAdapter(_Performance)
REPORT = TypeAdapter(Report)
DASHBOARD = TypeAdapter(_Dashboard)
