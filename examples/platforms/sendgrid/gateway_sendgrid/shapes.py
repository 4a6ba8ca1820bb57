"""SendGrid's answers as the plugin reads them, per SendGrid's published OpenAPI documents
(twilio/sendgrid-oai: tsg_stats_v3, tsg_mc_stats_v3, tsg_mc_singlesends_v3); only the keys used.

Its counters become the gateway's email counts so that the gateway's own arithmetic (delivered =
sent - bounces) gives SendGrid's `delivered` back: sent = delivered + bounces + blocks, hard
bounces = `bounces`, soft bounces = `blocks` (mail an ISP refused for now; single sends report
none). Mail SendGrid still defers or dropped is not counted as sent.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from pydantic import Field, TypeAdapter, field_validator

from gateway.domain.campaigns import CampaignStatus
from gateway.domain.email import EmailCounts
from gateway.providers.upstream.shapes import Count, Day, Moment, Shape

__all__ = ["GLOBAL_STATS", "LINKS", "SINGLE_SEND", "SINGLE_SEND_STATS", "Metrics"]


class Metrics(Shape):
    delivered: Count = 0
    bounces: Count = 0
    blocks: Count = 0
    opens: Count = 0
    unique_opens: Count = 0
    clicks: Count = 0
    unique_clicks: Count = 0
    unsubscribes: Count = 0

    def counts(self) -> EmailCounts:
        return EmailCounts(
            sent=self.delivered + self.bounces + self.blocks,
            opened=self.unique_opens,
            clicked=self.unique_clicks,
            opens=self.opens,
            clicks=self.clicks,
            soft_bounced=self.blocks,
            hard_bounced=self.bounces,
            unsubscribed=self.unsubscribes,
        )


class _Stat(Shape):
    metrics: Metrics


class _Day(Shape):
    date: Day
    stats: list[_Stat]

    def counts(self) -> EmailCounts:
        return sum((stat.metrics.counts() for stat in self.stats), EmailCounts())


GLOBAL_STATS = TypeAdapter(list[_Day])

_STATUSES = {
    "draft": CampaignStatus.DRAFT,
    "scheduled": CampaignStatus.SCHEDULED,
    # SendGrid's word for a single send that has gone out.
    "triggered": CampaignStatus.COMPLETED,
}


class SingleSend(Shape):
    id: str = Field(min_length=1)
    name: str
    status: str
    created_at: Moment
    send_at: Moment | None = None

    @property
    def campaign_status(self) -> CampaignStatus:
        return _STATUSES.get(self.status, CampaignStatus.DRAFT)


SINGLE_SEND = TypeAdapter(SingleSend)


class _Result(Shape):
    stats: Metrics = Field(default_factory=Metrics)


class _SingleSendStats(Shape):
    results: list[_Result]

    def counts(self) -> EmailCounts:
        # Without group_by, one result: every A/B variation and phase together.
        return sum((result.stats.counts() for result in self.results), EmailCounts())


SINGLE_SEND_STATS = TypeAdapter(_SingleSendStats)


class _Link(Shape):
    url: str
    clicks: Count


class _Page(Shape):
    # The next page's URL; absent on the last page.
    next: str | None = None

    @field_validator("next")
    @classmethod
    def _has_token(cls, url: str | None) -> str | None:
        if url is not None and not _token(url):
            raise ValueError("the next page's URL has no page_token")
        return url

    @property
    def next_token(self) -> str | None:
        """The page token of the next page, from its URL (SendGrid's documents say to call
        that URL; the plugin asks the same path with that token, so that an answer never sends
        the key to another host)."""
        return None if self.next is None else _token(self.next)


def _token(url: str) -> str:
    [token] = parse_qs(urlsplit(url).query).get("page_token") or [""]
    return token


class _Links(Shape):
    results: list[_Link]
    metadata: _Page = Field(default_factory=_Page, alias="_metadata")


LINKS = TypeAdapter(_Links)
