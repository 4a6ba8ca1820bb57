"""SendGrid's email statistics as the gateway's email reports.

- Dashboard, overall and histogram: GET /v3/stats (global stats) by day. SendGrid aggregates by
  UTC day and this endpoint takes no timezone: the platform declares these fields `utc_days`,
  so the graph refuses another timezone with TIMEZONE_NOT_SUPPORTED before calling.
  SendGrid's unique opens and clicks are each UTC day's: the platform declares them
  `daily_only`, so over several days the graph refuses them (and their rates) rather than the
  days' uniques added up (a recipient opening on two days counted twice); campaigns sent and
  new contacts are not in its stats, and the dashboard's two fields answer
  UNSUPPORTED_BY_SOURCE.
- A campaign is a single send: GET /v3/marketing/singlesends/{id} for its name and status,
  GET /v3/marketing/stats/singlesends/{id} for its counts (all A/B variations together), and
  GET /v3/marketing/stats/singlesends/{id}/links for clicks per link, page after page
  (`_metadata.next`) up to the source's max_link_pages (20 pages of 50 rows); a send with more
  answers its link activity TOO_MANY_RESULTS rather than the most clicked of a part. SendGrid
  counts no unique clicks per link, so that field is UNSUPPORTED_BY_SOURCE.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote

from gateway.domain.campaigns import Campaign, CampaignRef, Channel
from gateway.domain.email import (
    EmailCampaignReport,
    EmailCounts,
    EmailDashboard,
    EmailDashboardFigures,
    EmailPoint,
    LinkActivity,
    PastDaysRequest,
)
from gateway.errors import GatewayError
from gateway.providers.upstream import UpstreamClient, UpstreamProvider, each
from gateway_sendgrid.shapes import GLOBAL_STATS, LINKS, SINGLE_SEND, SINGLE_SEND_STATS

__all__ = ["SendGridProvider"]

LINKS_PAGE = 50  # the largest page SendGrid's link stats give
# How many pages of a single send's link stats one report reads at most, unless the source
# sets `max_link_pages`: 20 pages of 50 rows (a row per link, place and A/B variation).
MAX_LINK_PAGES = 20


class SendGridProvider(UpstreamProvider):
    platform = "sendgrid"

    def __init__(
        self,
        client: UpstreamClient,
        secrets: dict[tuple[str, str], str],
        *,
        max_link_pages: int = MAX_LINK_PAGES,
    ) -> None:
        super().__init__(client, secrets)
        self.max_link_pages = max_link_pages

    async def _days(self, tenant_id: str, first: date, last: date) -> dict[date, EmailCounts]:
        """SendGrid's counts per UTC day from `first` to `last`, both included."""
        params = {
            "start_date": first.isoformat(),
            "end_date": last.isoformat(),
            "aggregated_by": "day",
        }
        days = await self.fetch("/v3/stats", params, tenant_id, GLOBAL_STATS)
        return {day.date: day.counts() for day in days}

    @staticmethod
    def _sum(by_day: dict[date, EmailCounts], first: date, days: int) -> EmailCounts:
        wanted = [first + timedelta(days=i) for i in range(days)]
        return sum((by_day.get(day, EmailCounts()) for day in wanted), EmailCounts())

    async def load_email_dashboards(
        self, requests: Sequence[PastDaysRequest]
    ) -> list[EmailDashboard | GatewayError]:
        async def one(request: PastDaysRequest) -> EmailDashboard:
            days = request.past_days
            current = request.today - timedelta(days=days - 1)
            previous = current - timedelta(days=days)
            by_day = await self._days(request.tenant_id, previous, request.today)
            return EmailDashboard(
                request=request,
                current=_figures(self._sum(by_day, current, days)),
                previous=_figures(self._sum(by_day, previous, days)),
            )

        return await each(requests, one)

    async def load_email_overall(
        self, requests: Sequence[PastDaysRequest]
    ) -> list[EmailCounts | GatewayError]:
        async def one(request: PastDaysRequest) -> EmailCounts:
            first = request.today - timedelta(days=request.past_days - 1)
            by_day = await self._days(request.tenant_id, first, request.today)
            return self._sum(by_day, first, request.past_days)

        return await each(requests, one)

    async def load_email_histograms(
        self, requests: Sequence[PastDaysRequest]
    ) -> list[list[EmailPoint] | GatewayError]:
        async def one(request: PastDaysRequest) -> list[EmailPoint]:
            first = request.today - timedelta(days=request.past_days - 1)
            by_day = await self._days(request.tenant_id, first, request.today)
            days = [first + timedelta(days=i) for i in range(request.past_days)]
            return [
                EmailPoint(
                    start=datetime.combine(day, datetime.min.time(), UTC),
                    day=day,
                    counts=by_day.get(day, EmailCounts()),
                )
                for day in days
            ]

        return await each(requests, one)

    async def load_campaigns(
        self, refs: Sequence[CampaignRef]
    ) -> list[Campaign | GatewayError | None]:
        async def one(ref: CampaignRef) -> Campaign | None:
            if ref.channel is not Channel.EMAIL:
                return None
            path = f"/v3/marketing/singlesends/{quote(ref.campaign_id, safe='')}"
            send = await self.fetch(path, {}, ref.tenant_id, SINGLE_SEND)
            return Campaign(
                ref=ref,
                external_id=send.id,
                name=send.name,
                status=send.campaign_status,
                created_at=send.created_at,
                sent_at=send.send_at if send.status == "triggered" else None,
            )

        return await each(refs, one)

    async def load_email_reports(
        self, campaigns: Sequence[Campaign]
    ) -> list[EmailCampaignReport | GatewayError]:
        async def one(campaign: Campaign) -> EmailCampaignReport:
            ref = campaign.ref
            path = f"/v3/marketing/stats/singlesends/{quote(ref.campaign_id, safe='')}"
            stats = await self.fetch(
                path, {"aggregated_by": "total"}, ref.tenant_id, SINGLE_SEND_STATS
            )
            clicks, complete = await self._clicks(f"{path}/links", ref.tenant_id)
            return EmailCampaignReport(
                campaign=campaign,
                counts=stats.counts(),
                links=tuple(
                    LinkActivity(url=url, clicks=n, unique_clicks=None) for url, n in clicks.items()
                ),
                links_bound=None if complete else self.max_link_pages * LINKS_PAGE,
            )

        return await each(campaigns, one)

    async def _clicks(self, path: str, tenant_id: str) -> tuple[dict[str, int], bool]:
        """Clicks per URL over the pages of a single send's link stats, following
        `_metadata.next` up to the source's `max_link_pages`; and whether that was all."""
        clicks: dict[str, int] = {}
        params = {"page_size": str(LINKS_PAGE)}
        for _ in range(self.max_link_pages):
            links = await self.fetch(path, params, tenant_id, LINKS)
            for link in links.results:  # one row per A/B variation and place in the email
                clicks[link.url] = clicks.get(link.url, 0) + link.clicks
            if (token := links.metadata.next_token) is None:
                return clicks, True
            params = {"page_size": str(LINKS_PAGE), "page_token": token}
        return clicks, False


def _figures(counts: EmailCounts) -> EmailDashboardFigures:
    return EmailDashboardFigures(counts=counts, campaigns_sent=None, new_contacts=None)
