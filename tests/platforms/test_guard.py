"""A source's adapter is asked only what its platform declares: the rest is refused per key,
typed, before the adapter is called, and the keys it is asked keep their order."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime

import aiohttp
import pytest

from gateway.config.sources import UpstreamSource
from gateway.domain.email import (
    EmailCounts,
    EmailDashboard,
    EmailDashboardFigures,
    PastDaysRequest,
)
from gateway.domain.sms import RangeRequest, TrendDay
from gateway.errors import GatewayError, TimezoneNotSupported, UnsupportedBySource
from gateway.platforms import FIELDS, Answers, Credentials, Platform
from gateway.platforms.guard import ARGUMENTS, DeclaredProvider
from gateway.providers.upstream import UpstreamClient, UpstreamProvider


class Trends(UpstreamProvider):
    """Answers every trends key with no days, and remembers what it was asked."""

    asked: list[RangeRequest]

    async def load_sms_trends(
        self, requests: Sequence[RangeRequest]
    ) -> list[list[TrendDay] | GatewayError]:
        self.asked = [*getattr(self, "asked", []), *requests]
        return [[] for _ in requests]

    async def load_sms_overviews(self, requests: Sequence[RangeRequest]) -> list[object]:  # type: ignore[override]
        raise AssertionError("not declared: never asked")


class Mail(Trends):
    """Answers every email window with the same counts (uniques each day's own)."""

    async def load_email_overall(
        self, requests: Sequence[PastDaysRequest]
    ) -> list[EmailCounts | GatewayError]:
        return [EmailCounts(sent=10, opened=4, clicked=2) for _ in requests]

    async def load_email_dashboards(
        self, requests: Sequence[PastDaysRequest]
    ) -> list[EmailDashboard | GatewayError]:
        figures = EmailDashboardFigures(
            counts=EmailCounts(opened=4), campaigns_sent=1, new_contacts=0
        )
        return [EmailDashboard(request=r, current=figures, previous=figures) for r in requests]


def platform(*answers: Answers) -> Platform:
    return Platform(
        name="stub",
        version="0",
        package="stub",
        title="Stub",
        answers=answers,
        provider=lambda client, credentials: Mail(client, dict(credentials.secrets)),
    )


@pytest.fixture
async def client() -> AsyncIterator[UpstreamClient]:
    source = UpstreamSource(platform="stub", base_url="http://127.0.0.1:9")
    async with aiohttp.ClientSession() as session:
        yield UpstreamClient("stub-source", source, session)


def ask(timezone: str = "UTC", *, start_given: bool = False) -> RangeRequest:
    return RangeRequest(
        source="stub-source",
        tenant_id="acme",
        start=datetime(2026, 11, 1, tzinfo=UTC),
        end=datetime(2026, 11, 8, tzinfo=UTC),
        timezone=timezone,
        start_defaulted=not start_given,
        end_defaulted=True,
    )


def guarded(client: UpstreamClient, *answers: Answers) -> tuple[DeclaredProvider, Trends]:
    declared = platform(*answers)
    adapter = declared.provider(client, Credentials({}))
    assert isinstance(adapter, Mail)
    return DeclaredProvider(declared, adapter), adapter


async def test_a_field_not_declared_is_unsupported_without_a_call(client: UpstreamClient) -> None:
    provider, _ = guarded(client, Answers("SmsAnalytics.trends"))
    [refused] = await provider.load_sms_overviews([ask()])
    assert isinstance(refused, UnsupportedBySource)
    assert refused.extensions == {"code": "UNSUPPORTED_BY_SOURCE", "source": "stub-source"}


async def test_utc_days_refuse_another_timezone_and_keep_the_order(client: UpstreamClient) -> None:
    provider, adapter = guarded(client, Answers("SmsAnalytics.trends", utc_days=True))
    answers = await provider.load_sms_trends([ask("Asia/Kathmandu"), ask(), ask("UTC")])
    assert isinstance(answers[0], TimezoneNotSupported)
    assert answers[0].extensions == {
        "code": "TIMEZONE_NOT_SUPPORTED",
        "source": "stub-source",
        "timezone": "Asia/Kathmandu",
    }
    assert answers[1:] == [[], []]
    assert [key.timezone for key in adapter.asked] == ["UTC", "UTC"]


async def test_a_zone_is_answered_where_the_platform_counts_local_days(
    client: UpstreamClient,
) -> None:
    provider, adapter = guarded(client, Answers("SmsAnalytics.trends"))
    assert await provider.load_sms_trends([ask("Asia/Kathmandu")]) == [[]]
    assert len(adapter.asked) == 1


async def test_an_argument_declared_unsupported_is_refused_only_when_given(
    client: UpstreamClient,
) -> None:
    provider, adapter = guarded(
        client, Answers("SmsAnalytics.trends", unsupported=frozenset({"startDate"}))
    )
    given, left = await provider.load_sms_trends([ask(start_given=True), ask()])
    assert isinstance(given, UnsupportedBySource) and "with startDate" in given.message
    assert left == [] and len(adapter.asked) == 1


def window(days: int) -> PastDaysRequest:
    return PastDaysRequest(
        source="stub-source", tenant_id="acme", past_days=days, timezone="UTC", today=date.min
    )


async def test_figures_counted_by_day_are_marked_inexact_over_more_than_one_day(
    client: UpstreamClient,
) -> None:
    daily = frozenset({"opened", "clicked"})
    provider, _ = guarded(
        client,
        Answers("EmailReports.overall", daily_only=daily),
        Answers("EmailReports.dashboard", daily_only=frozenset({"opened"})),
    )
    one, two, ninety = await provider.load_email_overall([window(1), window(2), window(90)])
    assert isinstance(one, EmailCounts) and one.inexact == frozenset()
    assert isinstance(two, EmailCounts) and two.inexact == daily
    assert isinstance(ninety, EmailCounts) and ninety.inexact == daily
    assert (two.opened, two.sent) == (4, 10)  # the figures kept, the graph refuses them
    exact, marked = await provider.load_email_dashboards([window(1), window(2)])
    assert isinstance(exact, EmailDashboard) and isinstance(marked, EmailDashboard)
    assert exact.current.counts.inexact == exact.previous.counts.inexact == frozenset()
    assert marked.current.counts.inexact == marked.previous.counts.inexact == {"opened"}
    assert marked.current.campaigns_sent == 1


async def test_a_platform_declaring_no_daily_figures_is_exact_over_any_window(
    client: UpstreamClient,
) -> None:
    provider, _ = guarded(client, Answers("EmailReports.overall"))
    [counts] = await provider.load_email_overall([window(30)])
    assert isinstance(counts, EmailCounts) and counts.inexact == frozenset()
    assert (counts + counts).inexact == frozenset()
    marked = counts.model_copy(update={"inexact": frozenset({"opened"})})
    assert (counts + marked).inexact == {"opened"} and (counts + marked).opened == 8


def test_every_declarable_argument_is_known_and_fields_are_checked() -> None:
    with pytest.raises(ValueError, match="no figure opened counted by day"):
        Answers("EmailReports.histogram", daily_only=frozenset({"opened"}))
    with pytest.raises(ValueError, match="no figure sent counted by day"):
        Answers("EmailReports.overall", daily_only=frozenset({"sent"}))
    assert {a for field in FIELDS for a in field.arguments} <= set(ARGUMENTS)
    with pytest.raises(ValueError, match="no graph field"):
        Answers("EmailReports.everything")
    with pytest.raises(ValueError, match="has no argument limit"):
        Answers("EmailReports.overall", unsupported=frozenset({"limit"}))
    with pytest.raises(ValueError, match="plugin API 2"):
        Platform(
            name="x",
            version="0",
            package="x",
            title="x",
            answers=(),
            provider=lambda client, credentials: UpstreamProvider(client, {}),
            api_version=2,
        )
