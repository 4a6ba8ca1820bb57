"""WhatsApp, SMS and email delivery side by side, for one comparison chart from one query."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated

import strawberry

from gateway.auth import ANALYTICS_READ, REPORTS_READ
from gateway.domain.campaigns import Channel
from gateway.domain.messages import DailyDelivery, DeliveryCounts
from gateway.errors import BadUserInput
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
from gateway.schema.campaigns import ChannelEnum
from gateway.schema.delivery import DeliveryDay, DeliveryTotals, delivery_day, delivery_totals
from gateway.timewindows import Period

__all__ = ["ChannelQueries"]


@strawberry.type(description="One channel's messages over the window, by local day of send.")
class ChannelDelivery:
    channel: ChannelEnum = strawberry.field(description="The channel.")  # type: ignore[valid-type]
    totals: DeliveryTotals = strawberry.field(description="Summed over the window.")
    series: list[DeliveryDay] = strawberry.field(description="Every local day, zeros included.")


@strawberry.type(
    description="Delivery of every channel over the same local days. For email,"
    " total is sent, failed is bounced and delivered is sent - bounced."
)
class ChannelComparison:
    timezone: str = strawberry.field(description="The IANA timezone of the days.")
    days: list[date] = strawberry.field(description="The local days, oldest first.")
    channels: list[ChannelDelivery] = strawberry.field(description="WhatsApp, SMS, email.")


def _channel(channel: Channel, days: list[DailyDelivery]) -> ChannelDelivery:
    totals = sum((d.counts for d in days), DeliveryCounts())
    return ChannelDelivery(
        channel=channel,
        totals=delivery_totals(totals),
        series=[delivery_day(d.day, d.counts) for d in days],
    )


@strawberry.type
class ChannelQueries:
    @strawberry.field(
        description="WhatsApp, SMS and email delivery side by side, for a period"
        " (default 30 days) or a startDate/endDate range (needs analytics:read"
        " and reports:read)."
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
        loaders = info.context.loaders
        whatsapp, trends, email = await asyncio.gather(
            loaders.whatsapp_daily.get(request),
            loaders.sms_trends.get(request),
            loaders.email_daily.get(request),
        )
        sms = [DailyDelivery(day=t.day, counts=t.messages) for t in trends]
        return ChannelComparison(
            timezone=request.timezone,
            days=[d.day for d in whatsapp],
            channels=[
                _channel(Channel.WHATSAPP, whatsapp),
                _channel(Channel.SMS, sms),
                _channel(Channel.EMAIL, email),
            ],
        )
