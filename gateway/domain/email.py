"""Email reports as the email platform's reports API describes them."""

from __future__ import annotations

import enum
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, field_validator

from gateway.domain.campaigns import Campaign, CampaignRef
from gateway.domain.messages import rate

__all__ = [
    "DAILY_FIGURES",
    "LINK_ACTIVITY_TOP",
    "EmailCampaignReport",
    "EmailCounts",
    "EmailDashboard",
    "EmailDashboardFigures",
    "EmailPoint",
    "EngagementPeriod",
    "EngagementRequest",
    "LinkActivity",
    "PastDaysRequest",
]


class EmailCounts(BaseModel):
    """Recipients counted once each (sent, opened, clicked, bounced, unsubscribed) and events
    counted every time (opens, clicks)."""

    model_config = ConfigDict(frozen=True)

    sent: int = 0
    opened: int = 0
    clicked: int = 0
    opens: int = 0
    clicks: int = 0
    soft_bounced: int = 0
    hard_bounced: int = 0
    unsubscribed: int = 0
    # Figures its platform counts within one day only, here over several days: each day's
    # figure added up (a recipient opening on two days counted twice), not the window's. The
    # graph answers them, and the rates built from them, UNSUPPORTED_BY_SOURCE.
    inexact: frozenset[str] = frozenset()

    @property
    def bounced(self) -> int:
        return self.soft_bounced + self.hard_bounced

    @property
    def delivered(self) -> int:
        return max(self.sent - self.bounced, 0)

    @property
    def open_rate(self) -> float:
        return rate(self.opened, self.delivered)

    @property
    def click_rate(self) -> float:
        return rate(self.clicked, self.delivered)

    def __add__(self, other: EmailCounts) -> EmailCounts:
        return EmailCounts(
            **{
                name: getattr(self, name) + getattr(other, name)
                for name in EmailCounts.model_fields
                if name != "inexact"
            },
            inexact=self.inexact | other.inexact,
        )


# The figures of a window's email counts that a platform may declare it counts within one day
# only (`Answers.daily_only`), and the rates built from each.
DAILY_FIGURES: dict[str, tuple[str, ...]] = {
    "opened": ("open_rate",),
    "clicked": ("click_rate",),
}


class LinkActivity(BaseModel):
    model_config = ConfigDict(frozen=True)

    url: str
    clicks: int
    unique_clicks: int | None  # None where the platform does not count them per link


# A campaign's links grow with its content; a report lists its most clicked ones only.
LINK_ACTIVITY_TOP = 20


class EmailCampaignReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    campaign: Campaign
    counts: EmailCounts
    links: tuple[LinkActivity, ...]
    # Set when the platform holds more link rows than its adapter reads for one report (the
    # bound it read up to): the most clicked links cannot be told from part of them, so the
    # graph answers the report's link activity TOO_MANY_RESULTS, its counts as ever.
    links_bound: int | None = None

    @field_validator("links")
    @classmethod
    def _most_clicked(cls, links: tuple[LinkActivity, ...]) -> tuple[LinkActivity, ...]:
        ranked = sorted(
            links, key=lambda link: (-link.clicks, -(link.unique_clicks or 0), link.url)
        )
        return tuple(ranked[:LINK_ACTIVITY_TOP])


class EmailPoint(BaseModel):
    """One bucket of a histogram: each event counted at its own time, recipients at their first."""

    model_config = ConfigDict(frozen=True)

    start: datetime
    day: date
    counts: EmailCounts


class PastDaysRequest(BaseModel):
    """The `past_days` local days ending `today` in `timezone`, and the same span before."""

    model_config = ConfigDict(frozen=True)

    source: str
    tenant_id: str
    past_days: int
    timezone: str
    today: date


class EmailDashboardFigures(BaseModel):
    model_config = ConfigDict(frozen=True)

    counts: EmailCounts
    # None where the platform does not count them (its dashboard field says so, typed).
    campaigns_sent: int | None
    new_contacts: int | None


class EmailDashboard(BaseModel):
    model_config = ConfigDict(frozen=True)

    request: PastDaysRequest
    current: EmailDashboardFigures
    previous: EmailDashboardFigures


class EngagementPeriod(enum.Enum):
    """A campaign's engagement window, from its send time: 24 local hours, 7 or 30 local days."""

    HOURS_24 = "24hours"
    WEEK = "week"
    MONTH = "month"


class EngagementRequest(BaseModel):
    model_config = ConfigDict(frozen=True)

    campaign: CampaignRef
    period: EngagementPeriod
    timezone: str
