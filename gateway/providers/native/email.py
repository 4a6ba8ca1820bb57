"""Email reports from the native store: dashboard, overall, histograms, campaign reports."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from gateway.domain.campaigns import Campaign
from gateway.domain.email import (
    LINK_ACTIVITY_TOP,
    EmailCampaignReport,
    EmailCounts,
    EmailDashboard,
    EmailDashboardFigures,
    EmailPoint,
    EngagementPeriod,
    EngagementRequest,
    LinkActivity,
    PastDaysRequest,
)
from gateway.domain.timewindows import DayWindow, local_day_start
from gateway.providers.native.intervals import KeptSums, Rollup, sum_intervals
from gateway.providers.native.store import Row, Store, placeholders

__all__ = ["campaign_reports", "dashboard", "engagement", "histogram", "overall", "windows"]

_SUMS = (
    "sent",
    "unique_opens",
    "unique_clicks",
    "opens",
    "clicks",
    "soft_bounces",
    "hard_bounces",
    "unsubscribes",
)


def _counts(sums: Sequence[int]) -> EmailCounts:
    sent, opened, clicked, opens, clicks, soft, hard, unsubscribed = sums
    return EmailCounts(
        sent=sent,
        opened=opened,
        clicked=clicked,
        opens=opens,
        clicks=clicks,
        soft_bounced=soft,
        hard_bounced=hard,
        unsubscribed=unsubscribed,
    )


async def _series(
    store: Store,
    where: str,
    params: Sequence[object],
    edges: Sequence[int],
    kept: KeptSums | None = None,
    tenant_id: str | None = None,
) -> list[EmailCounts]:
    # Email events keep no rows to count slivers from; local-day and local-hour edges are on
    # the 15-minute grid in every zone in use since the 1980s.
    rollup = Rollup(buckets="email_buckets", bucket_sums=_SUMS, where=where, hours="email_hours")
    sums = (await sum_intervals(store, rollup, params, edges, kept=kept, tenant_id=tenant_id)).get(
        0
    )
    zero = (0,) * len(_SUMS)
    return [_counts(values) for values in (sums or [zero] * (len(edges) - 1))]


def windows(request: PastDaysRequest) -> tuple[DayWindow, DayWindow]:
    zone, days, today = ZoneInfo(request.timezone), request.past_days, request.today
    current = DayWindow.from_dates(today - timedelta(days=days - 1), today, zone)
    first = current.days[0]
    previous = DayWindow.from_dates(first - timedelta(days=days), first - timedelta(days=1), zone)
    return current, previous


async def dashboard(
    store: Store, request: PastDaysRequest, kept: KeptSums | None = None
) -> EmailDashboard:
    current, previous = windows(request)
    edges = [
        int(previous.start.timestamp()),
        int(current.start.timestamp()),
        int(current.end.timestamp()),
    ]
    tenant_id = request.tenant_id
    before, now = await _series(store, "tenant_id = ?", [tenant_id], edges, kept, tenant_id)
    row = await store.fetch_one(
        "SELECT "
        "(SELECT count(*) FROM campaigns WHERE tenant_id = ? AND channel = 'email' "
        " AND sent_at >= ? AND sent_at < ?), "
        "(SELECT count(*) FROM campaigns WHERE tenant_id = ? AND channel = 'email' "
        " AND sent_at >= ? AND sent_at < ?), "
        "(SELECT count(*) FROM contacts WHERE tenant_id = ? AND created_at >= ? "
        " AND created_at < ?), "
        "(SELECT count(*) FROM contacts WHERE tenant_id = ? AND created_at >= ? "
        " AND created_at < ?)",
        [
            value
            for lo, hi in ((edges[0], edges[1]), (edges[1], edges[2])) * 2
            for value in (request.tenant_id, lo, hi)
        ],
    )
    assert row is not None
    return EmailDashboard(
        request=request,
        current=EmailDashboardFigures(counts=now, campaigns_sent=row[1], new_contacts=row[3]),
        previous=EmailDashboardFigures(counts=before, campaigns_sent=row[0], new_contacts=row[2]),
    )


async def overall(store: Store, request: PastDaysRequest) -> EmailCounts:
    current, _ = windows(request)
    edges = [int(current.start.timestamp()), int(current.end.timestamp())]
    [counts] = await _series(store, "tenant_id = ?", [request.tenant_id], edges)
    return counts


async def histogram(store: Store, request: PastDaysRequest) -> list[EmailPoint]:
    current, _ = windows(request)
    edges = current.boundaries()
    series = await _series(store, "tenant_id = ?", [request.tenant_id], edges)
    return [
        EmailPoint(start=datetime.fromtimestamp(edge, UTC), day=day, counts=counts)
        for edge, day, counts in zip(edges, current.days, series, strict=False)
    ]


def engagement_edges(sent_at: datetime, period: EngagementPeriod, zone: ZoneInfo) -> list[int]:
    """24 local hours from the hour of the send, or 7 / 30 local days from the day of it."""
    local = sent_at.astimezone(zone)
    if period is EngagementPeriod.HOURS_24:
        start = local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)
        return [int((start + timedelta(hours=h)).timestamp()) for h in range(25)]
    days = 7 if period is EngagementPeriod.WEEK else 30
    return [
        int(local_day_start(local.date() + timedelta(days=d), zone).timestamp())
        for d in range(days + 1)
    ]


async def engagement(
    store: Store, request: EngagementRequest, campaign: Campaign
) -> list[EmailPoint]:
    zone = ZoneInfo(request.timezone)
    edges = engagement_edges(campaign.sent_at or campaign.created_at, request.period, zone)
    series = await _series(store, "campaign_id = ?", [int(campaign.ref.campaign_id)], edges)
    points = []
    for edge, counts in zip(edges, series, strict=False):
        start = datetime.fromtimestamp(edge, UTC)
        points.append(EmailPoint(start=start, day=start.astimezone(zone).date(), counts=counts))
    return points


async def campaign_reports(
    store: Store, campaigns: Sequence[Campaign]
) -> list[EmailCampaignReport]:
    """Reports of many campaigns in two queries: counts, then link activity."""
    ids = sorted({int(c.ref.campaign_id) for c in campaigns})
    marks = placeholders(ids)
    counts = {
        str(row["campaign_id"]): _counts_from_row(row)
        for row in await store.fetch_all(
            f"SELECT * FROM email_counts WHERE campaign_id IN ({marks})", ids
        )
    }
    links: dict[str, list[LinkActivity]] = {}
    # Each campaign's most clicked links only: a report lists no more (LINK_ACTIVITY_TOP).
    for row in await store.fetch_all(
        "SELECT * FROM (SELECT campaign_id, url, clicks, unique_clicks, ROW_NUMBER() OVER"
        " (PARTITION BY campaign_id ORDER BY clicks DESC, unique_clicks DESC, url) AS place"
        f" FROM email_links WHERE campaign_id IN ({marks})) AS ranked WHERE place <= ?"
        " ORDER BY campaign_id, place",
        [*ids, LINK_ACTIVITY_TOP],
    ):
        links.setdefault(str(row["campaign_id"]), []).append(
            LinkActivity(url=row["url"], clicks=row["clicks"], unique_clicks=row["unique_clicks"])
        )
    return [
        EmailCampaignReport(
            campaign=c,
            counts=counts.get(c.ref.campaign_id, EmailCounts()),
            links=tuple(links.get(c.ref.campaign_id, ())),
        )
        for c in campaigns
    ]


def _counts_from_row(row: Row) -> EmailCounts:
    return EmailCounts(
        sent=row["sent"],
        opened=row["opened"],
        clicked=row["clicked"],
        opens=row["opens"],
        clicks=row["clicks"],
        soft_bounced=row["soft_bounced"],
        hard_bounced=row["hard_bounced"],
        unsubscribed=row["unsubscribed"],
    )
