"""WhatsApp, SMS and email delivery side by side, for one comparison chart from one query.

Each channel resolves on its own, from the source that holds it, so a channel whose source
cannot answer (or fails) leaves the other two in the answer.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated
from zoneinfo import ZoneInfo

import strawberry

from gateway.domain.auth import ANALYTICS_READ, REPORTS_READ
from gateway.domain.campaigns import Channel
from gateway.domain.messages import DailyDelivery, DeliveryCounts
from gateway.domain.numbers import DashboardRequest
from gateway.domain.sms import RangeRequest
from gateway.domain.timewindows import Period, TimeRange
from gateway.errors import BadUserInput, TooManyResults, UnsupportedBySource
from gateway.providers.base import NATIVE
from gateway.schema.args import (
    EndDateArg,
    Info,
    PeriodEnum,
    StartDateArg,
    TimezoneArg,
    TzArg,
    period_request,
    range_request,
)
from gateway.schema.bounds import bounds_of
from gateway.schema.campaigns import ChannelEnum
from gateway.schema.delivery import DeliveryDay, DeliveryTotals, delivery_day, delivery_totals

__all__ = ["ChannelQueries"]


async def whatsapp_days(info: Info, request: RangeRequest) -> list[DailyDelivery]:
    """The tenant's native numbers from the store, plus its upstream numbers' dashboards. Each
    of those is a call to its platform, so there may be no more of them than the deprecated
    `numbers` lists; reading one past the cap tells, without reading the tenant's numbers."""
    loaders, registry = info.context.loaders, info.context.registry
    native = await loaders.whatsapp_daily.get(request.model_copy(update={"source": NATIVE}))
    cap = bounds_of(info).max_listed_numbers
    upstream = await registry.get(NATIVE).list_numbers(
        request.tenant_id, limit=cap + 1, upstream_only=True
    )
    if len(upstream) > cap:
        raise TooManyResults(
            f"the tenant has more than {cap} numbers at upstream sources, each a call to its"
            " platform; ask their dashboards a page at a time with `numbersConnection`",
            limit="maxListedNumbers",
            max=cap,
        )
    if not upstream:
        return native
    if request.period is None:
        raise UnsupportedBySource(
            f"{upstream[0].ref.source} answers WhatsApp figures for a period only: ask with"
            " period instead of startDate/endDate",
            source=upstream[0].ref.source,
        )
    today = native[-1].day
    boards = await asyncio.gather(
        *(
            loaders.dashboards.get(
                DashboardRequest(
                    number=n.ref, period=request.period, timezone=request.timezone, today=today
                )
            )
            for n in upstream
        )
    )
    by_day = {point.day: point.counts for point in native}
    for board in boards:
        for point in board.series:
            by_day[point.day] = by_day.get(point.day, DeliveryCounts()) + point.counts
    return [DailyDelivery(day=day, counts=by_day[day]) for day in sorted(by_day)]


async def channel_days(info: Info, channel: Channel, request: RangeRequest) -> list[DailyDelivery]:
    loaders, registry = info.context.loaders, info.context.registry
    if channel is Channel.WHATSAPP:
        return await whatsapp_days(info, request)
    area = "sms" if channel is Channel.SMS else "email"
    routed = request.model_copy(update={"source": registry.source_for(request.tenant_id, area)})
    if channel is Channel.SMS:  # its messages alone: the store need count no campaign
        days = await loaders.sms_trends.get(routed.model_copy(update={"messages_only": True}))
        return [DailyDelivery(day=t.day, counts=t.messages) for t in days]
    return await loaders.email_daily.get(routed)


@strawberry.type(description="One channel's messages over the window, by local day of send.")
class ChannelDelivery:
    channel: ChannelEnum = strawberry.field(description="The channel.")  # type: ignore[valid-type]
    request: strawberry.Private[RangeRequest]
    pending: strawberry.Private[asyncio.Future[list[DailyDelivery]] | None] = None

    async def _days(self, info: Info) -> list[DailyDelivery]:
        # totals and series resolve side by side: the first starts the work, both await it.
        if self.pending is None:
            self.pending = asyncio.ensure_future(channel_days(info, self.channel, self.request))
        return await asyncio.shield(self.pending)

    @strawberry.field(description="Summed over the window.")
    async def totals(self, info: Info) -> DeliveryTotals | None:
        days = await self._days(info)
        return delivery_totals(sum((d.counts for d in days), DeliveryCounts()))

    @strawberry.field(description="Every local day, zeros included.")
    async def series(self, info: Info) -> list[DeliveryDay] | None:
        return [delivery_day(d.day, d.counts) for d in await self._days(info)]


@strawberry.type(
    description="Delivery of every channel over the same local days. For email, total is sent,"
    " failed is bounced and delivered is sent - bounced."
)
class ChannelComparison:
    timezone: str = strawberry.field(description="The IANA timezone of the days.")
    days: list[date] = strawberry.field(description="The local days, oldest first.")
    channels: list[ChannelDelivery] = strawberry.field(description="WhatsApp, SMS, email.")


def _days(request: RangeRequest) -> list[date]:
    return TimeRange(request.start, request.end, ZoneInfo(request.timezone)).local_days()


@strawberry.type
class ChannelQueries:
    @strawberry.field(
        description="WhatsApp, SMS and email delivery side by side, for a period (default 30"
        " days) or a startDate/endDate range (needs analytics:read and reports:read)."
    )
    async def delivery_by_channel(
        self,
        info: Info,
        period: Annotated[
            PeriodEnum | None,  # type: ignore[valid-type]
            strawberry.argument(description="7, 30 or 90 local days ending today."),
        ] = None,
        start_date: StartDateArg = None,
        end_date: EndDateArg = None,
        timezone: TimezoneArg = None,
        tz: TzArg = None,
    ) -> ChannelComparison | None:
        principal = info.context.principal
        principal.require_tenant_scope(ANALYTICS_READ)
        principal.require_scope(REPORTS_READ)
        if period is not None and (start_date or end_date):
            raise BadUserInput(
                "give a period or a startDate/endDate range, not both", argument="period"
            )
        if start_date or end_date:
            request = range_request(info, start_date, end_date, timezone, tz)
        else:
            request = period_request(info, period or Period.DAYS_30, timezone, tz)
        return ChannelComparison(
            timezone=request.timezone,
            days=_days(request),
            channels=[ChannelDelivery(channel=c, request=request) for c in Channel],
        )
