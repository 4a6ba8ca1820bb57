"""The SendGrid adapter against a fake SendGrid (a real aiohttp app on loopback, answering the
shapes of SendGrid's published documents), through the gateway's shared client and the
platform's own declaration, as the gateway runs it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import gateway_sendgrid
import pytest
from aiohttp import web
from gateway_sendgrid.provider import MAX_LINK_PAGES

from gateway.domain.campaigns import Campaign, CampaignRef, CampaignStatus, Channel
from gateway.domain.email import (
    LINK_ACTIVITY_TOP,
    EmailCampaignReport,
    EmailCounts,
    EmailDashboard,
    EngagementPeriod,
    EngagementRequest,
    PastDaysRequest,
)
from gateway.errors import TimezoneNotSupported, UnsupportedBySource, UpstreamError
from gateway.platforms import load_platforms
from gateway.platforms.guard import DeclaredProvider
from gateway.testing.fakes import STATE, Fault
from gateway.testing.plugins import fake_upstream, platform_adapter, serving

TODAY = date(2026, 11, 22)
SEND = "2f6dec81-43b9-4c67-a890-3a38cb63b54a"


def _metrics(n: int) -> dict[str, int]:
    return {
        "delivered": 100 * n,
        "bounces": n,
        "blocks": 1,
        "opens": 30 * n,
        "unique_opens": 20 * n,
        "clicks": 5 * n,
        "unique_clicks": 4 * n,
        "unsubscribes": 1,
    }


async def stats(request: web.Request) -> web.Response:
    first = date.fromisoformat(request.query["start_date"])
    last = date.fromisoformat(request.query["end_date"])
    assert request.query["aggregated_by"] == "day"
    days = [first.fromordinal(o) for o in range(first.toordinal(), last.toordinal() + 1)]
    # Day n of November counts n; the 20th is missing, as SendGrid leaves out empty days.
    return web.json_response(
        [
            {"date": d.isoformat(), "stats": [{"metrics": _metrics(d.day)}]}
            for d in days
            if d.day != 20
        ]
    )


async def single_send(request: web.Request) -> web.Response:
    if request.match_info["id"] != SEND:
        return web.json_response({"errors": [{"message": "not found"}]}, status=404)
    return web.json_response(
        {
            "id": SEND,
            "name": "November",
            "status": "triggered",
            "created_at": "2026-11-18T16:24:42Z",
            "send_at": "2026-11-20T09:00:00Z",
        }
    )


async def send_stats(request: web.Request) -> web.Response:
    assert request.query["aggregated_by"] == "total"
    return web.json_response(
        {
            "results": [
                {
                    "id": SEND,
                    "ab_variation": "all",
                    "ab_phase": "all",
                    "stats": {**_metrics(10), "blocks": 0},
                }
            ],
            "_metadata": {"count": 1},
        }
    )


async def send_links(request: web.Request) -> web.Response:
    rows = [("https://a.example/x", 7), ("https://b.example/y", 3), ("https://a.example/x", 2)]
    return web.json_response(
        {
            "results": [
                {"url": u, "clicks": c, "ab_variation": "all", "ab_phase": "all"} for u, c in rows
            ],
            "_metadata": {},
        }
    )


PAGES = web.AppKey("pages", int)  # how many pages of link stats the paged fake holds


async def paged_links(request: web.Request) -> web.Response:
    """50 rows a page over the app's PAGES pages, each page pointing to the next by its URL
    (`_metadata.next`, with a page_token), as SendGrid's documents say."""
    assert request.query["page_size"] == "50"
    page = int(request.query.get("page_token", "p1")[1:])
    rows = [{"url": f"https://x.example/{page}/{i}", "clicks": 1 + i} for i in range(50)]
    # The same link on every page, from another place or A/B variation: added up.
    rows[0] = {"url": "https://x.example/everywhere", "clicks": 100}
    metadata: dict[str, object] = {"count": 50 * request.app[PAGES]}
    if page < request.app[PAGES]:
        metadata["next"] = f"{request.url.with_query(page_size=50, page_token=f'p{page + 1}')}"
    return web.json_response({"results": rows, "_metadata": metadata})


async def link_pages(links: web.Application, pages: int, bound: int) -> tuple[object, list[str]]:
    """The report of a send whose link stats hold `pages` pages, read with max_link_pages
    `bound`, and the page tokens asked."""
    links[PAGES] = pages
    async with (
        serving(links) as url,
        platform_adapter(
            gateway_sendgrid.PLATFORM, url, secret="SG.key", retries=0, max_link_pages=bound
        ) as built,
    ):
        ref = CampaignRef(source="src", tenant_id="acme", channel=Channel.EMAIL, campaign_id=SEND)
        [campaign] = await built.load_campaigns([ref])
        assert isinstance(campaign, Campaign)
        [report] = await built.load_email_reports([campaign])
    asked = [
        params.get("page_token", "-")
        for path, params in links[STATE].calls
        if path.endswith("/links")
    ]
    return report, asked


def paged_fake() -> web.Application:
    routes = [*ROUTES[:3], web.get("/v3/marketing/stats/singlesends/{id}/links", paged_links)]
    return fake_upstream(routes, keys={"SG.key": "acme"})


async def test_link_stats_are_read_page_after_page_up_to_the_bound() -> None:
    report, asked = await link_pages(paged_fake(), pages=3, bound=3)
    assert isinstance(report, EmailCampaignReport)
    assert asked == ["-", "p2", "p3"] and report.links_bound is None
    top = report.links[0]
    assert (top.url, top.clicks) == ("https://x.example/everywhere", 300)  # 100 on each page
    assert report.links[1].clicks == 50 and len(report.links) == LINK_ACTIVITY_TOP


async def test_a_send_with_more_link_pages_than_the_bound_says_so() -> None:
    report, asked = await link_pages(paged_fake(), pages=4, bound=3)
    assert isinstance(report, EmailCampaignReport)
    assert asked == ["-", "p2", "p3"]  # the fourth page is never asked
    assert report.links_bound == 150  # three pages of 50 rows
    assert report.counts.delivered == 1000  # the counts stand


def test_the_bound_is_a_source_setting_with_a_default() -> None:
    def source(**fields: object) -> gateway_sendgrid.SendGridSource:
        return gateway_sendgrid.SendGridSource.model_validate({"platform": "sendgrid", **fields})

    assert source().max_link_pages == MAX_LINK_PAGES == 20
    assert source(max_link_pages=1).max_link_pages == 1
    assert source(max_link_pages=200).max_link_pages == 200
    for past in (0, 201):
        with pytest.raises(ValueError, match="max_link_pages"):
            source(max_link_pages=past)


async def test_one_page_is_a_bound_too() -> None:
    report, asked = await link_pages(paged_fake(), pages=1, bound=1)
    assert isinstance(report, EmailCampaignReport) and report.links_bound is None
    report, asked = await link_pages(paged_fake(), pages=2, bound=1)
    assert isinstance(report, EmailCampaignReport) and report.links_bound == 50
    assert asked == ["-"]


async def test_a_next_page_without_a_token_is_an_upstream_error() -> None:
    async def no_token(request: web.Request) -> web.Response:
        rows = [{"url": "https://x.example/a", "clicks": 1}]
        next_url = "https://api.sendgrid.com/v3/marketing/stats/singlesends/x/links"
        return web.json_response({"results": rows, "_metadata": {"next": next_url}})

    routes = [*ROUTES[:3], web.get("/v3/marketing/stats/singlesends/{id}/links", no_token)]
    app = fake_upstream(routes, keys={"SG.key": "acme"})
    app[PAGES] = 1
    async with (
        serving(app) as url,
        platform_adapter(gateway_sendgrid.PLATFORM, url, secret="SG.key", retries=0) as built,
    ):
        ref = CampaignRef(source="src", tenant_id="acme", channel=Channel.EMAIL, campaign_id=SEND)
        [campaign] = await built.load_campaigns([ref])
        assert isinstance(campaign, Campaign)
        [report] = await built.load_email_reports([campaign])
    assert isinstance(report, UpstreamError) and "page_token" in report.message


ROUTES = [
    web.get("/v3/stats", stats),
    web.get("/v3/marketing/singlesends/{id}", single_send),
    web.get("/v3/marketing/stats/singlesends/{id}", send_stats),
    web.get("/v3/marketing/stats/singlesends/{id}/links", send_links),
]


@pytest.fixture
async def fake() -> AsyncIterator[tuple[web.Application, str]]:
    app = fake_upstream(ROUTES, keys={"SG.key": "acme"})
    async with serving(app) as url:
        yield app, url


@pytest.fixture
async def adapter(fake: tuple[web.Application, str]) -> AsyncIterator[DeclaredProvider]:
    async with platform_adapter(
        gateway_sendgrid.PLATFORM, fake[1], secret="SG.key", retries=0
    ) as built:
        yield built


def window(days: int, timezone: str = "UTC") -> PastDaysRequest:
    return PastDaysRequest(
        source="src", tenant_id="acme", past_days=days, timezone=timezone, today=TODAY
    )


def test_it_is_installed_not_imported_from_the_source_tree() -> None:
    assert Path(__file__).parents[1] not in Path(gateway_sendgrid.__file__).parents
    platform = load_platforms().get("sendgrid")
    assert platform is gateway_sendgrid.PLATFORM
    assert platform.areas == ("email",) and platform.version == "0.1.0"


async def test_overall_adds_up_the_utc_days_of_the_window(adapter: DeclaredProvider) -> None:
    [counts] = await adapter.load_email_overall([window(3)])
    # The 20th (missing: zero), 21st and 22nd.
    assert isinstance(counts, EmailCounts)
    assert counts.delivered == 100 * (21 + 22)
    assert (counts.hard_bounced, counts.soft_bounced) == (43, 2)
    assert counts.sent == counts.delivered + 45
    assert (counts.opened, counts.opens, counts.clicked) == (20 * 43, 30 * 43, 4 * 43)
    # Those uniques are each UTC day's added up: marked, so that the graph refuses them.
    assert counts.inexact == {"opened", "clicked"}


async def test_uniques_of_one_utc_day_are_exact(adapter: DeclaredProvider) -> None:
    [counts] = await adapter.load_email_overall([window(1)])
    assert isinstance(counts, EmailCounts) and counts.inexact == frozenset()
    assert counts.opened == 20 * 22
    [board] = await adapter.load_email_dashboards([window(1)])
    assert isinstance(board, EmailDashboard) and board.current.counts.inexact == frozenset()
    [wider] = await adapter.load_email_dashboards([window(2)])
    assert isinstance(wider, EmailDashboard)
    assert wider.current.counts.inexact == wider.previous.counts.inexact == {"opened", "clicked"}


async def test_the_dashboard_compares_with_the_days_before_in_one_call(
    adapter: DeclaredProvider, fake: tuple[web.Application, str]
) -> None:
    [board] = await adapter.load_email_dashboards([window(2)])
    assert not isinstance(board, BaseException)
    assert board.current.counts.delivered == 100 * (21 + 22)
    assert board.previous.counts.delivered == 100 * 19  # the 19th and the missing 20th
    assert board.current.campaigns_sent is None and board.current.new_contacts is None
    assert fake[0][STATE].calls == [
        (
            "/v3/stats",
            {"start_date": "2026-11-19", "end_date": "2026-11-22", "aggregated_by": "day"},
        )
    ]


async def test_the_histogram_has_every_utc_day(adapter: DeclaredProvider) -> None:
    [points] = await adapter.load_email_histograms([window(4)])
    assert not isinstance(points, BaseException)
    assert [p.day.day for p in points] == [19, 20, 21, 22]
    assert points[1].counts == EmailCounts()
    assert points[0].start == datetime(2026, 11, 19, tzinfo=UTC)


async def test_another_timezone_is_refused_before_sendgrid_is_called(
    adapter: DeclaredProvider, fake: tuple[web.Application, str]
) -> None:
    answers = await adapter.load_email_overall([window(3, "Asia/Kolkata"), window(3)])
    assert isinstance(answers[0], TimezoneNotSupported)
    assert answers[0].extensions["code"] == "TIMEZONE_NOT_SUPPORTED"
    assert isinstance(answers[1], EmailCounts)
    assert len(fake[0][STATE].calls) == 1  # the UTC one only


async def test_a_single_send_and_its_report(adapter: DeclaredProvider) -> None:
    ref = CampaignRef(source="src", tenant_id="acme", channel=Channel.EMAIL, campaign_id=SEND)
    [campaign] = await adapter.load_campaigns([ref])
    assert campaign is not None and not isinstance(campaign, BaseException)
    assert (campaign.name, campaign.status) == ("November", CampaignStatus.COMPLETED)
    [report] = await adapter.load_email_reports([campaign])
    assert not isinstance(report, BaseException)
    assert report.counts.delivered == 1000 and report.counts.opened == 200
    assert [(link.url, link.clicks, link.unique_clicks) for link in report.links] == [
        ("https://a.example/x", 9, None),
        ("https://b.example/y", 3, None),
    ]


async def test_what_it_does_not_declare_is_unsupported_without_a_call(
    adapter: DeclaredProvider, fake: tuple[web.Application, str]
) -> None:
    ref = CampaignRef(source="src", tenant_id="acme", channel=Channel.EMAIL, campaign_id=SEND)
    asked = EngagementRequest(campaign=ref, period=EngagementPeriod.WEEK, timezone="UTC")
    [answer] = await adapter.load_engagements([asked])
    assert isinstance(answer, UnsupportedBySource)
    [refused] = await adapter.load_sms_counts([ref])
    assert isinstance(refused, UnsupportedBySource)
    assert fake[0][STATE].calls == []


async def test_its_failures_are_the_gateways_typed_errors(
    adapter: DeclaredProvider, fake: tuple[web.Application, str]
) -> None:
    fake[0][STATE].faults.append(Fault(status=500))
    [failed] = await adapter.load_email_overall([window(1)])
    assert isinstance(failed, UpstreamError) and failed.extensions["code"] == "UPSTREAM_ERROR"
    fake[0][STATE].faults.append(Fault(malformed=True))
    [malformed] = await adapter.load_email_overall([window(1)])
    assert isinstance(malformed, UpstreamError)
