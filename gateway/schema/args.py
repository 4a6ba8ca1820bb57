"""Arguments shared by many fields, and turning them into provider requests."""

from __future__ import annotations

from typing import Annotated

import strawberry

from gateway.domain.email import PastDaysRequest
from gateway.domain.sms import RangeRequest
from gateway.domain.timewindows import DayWindow, Period, parse_range, parse_timezone, past_days
from gateway.schema.context import GatewayContext
from gateway.schema.enums import described_enum

__all__ = [
    "EndDateArg",
    "Info",
    "PastDaysArg",
    "PeriodArg",
    "PeriodEnum",
    "StartDateArg",
    "TimezoneArg",
    "TzArg",
    "past_days_request",
    "period_request",
    "range_request",
]

Info = strawberry.Info[GatewayContext, None]

PeriodEnum = described_enum(
    Period,
    name="Period",
    description="A dashboard window: the 7, 30 or 90 local days ending with today, today"
    " included (Pilot Status's period 7d, 30d, 90d).",
    values={
        Period.DAYS_7: "The 7 local days ending with today (Pilot Status's 7d).",
        Period.DAYS_30: "The 30 local days ending with today (Pilot Status's 30d); the default.",
        Period.DAYS_90: "The 90 local days ending with today (Pilot Status's 90d).",
    },
)

TimezoneArg = Annotated[
    str | None,
    strawberry.argument(
        description="IANA timezone of the local days, such as 'America/Sao_Paulo'; default UTC."
    ),
]
TzArg = Annotated[str | None, strawberry.argument(description="Alias of timezone.")]
PeriodArg = Annotated[
    PeriodEnum,  # type: ignore[valid-type]
    strawberry.argument(description="The window: 7, 30 or 90 local days ending today."),
]
StartDateArg = Annotated[
    str | None,
    strawberry.argument(
        description="Start of the range, included: an ISO 8601 date (local midnight) or"
        " datetime. Default: 30 days before endDate (90 for best send times)."
    ),
]
EndDateArg = Annotated[
    str | None,
    strawberry.argument(
        description="End of the range, excluded: an ISO 8601 date or datetime. Default: now."
    ),
]
PastDaysArg = Annotated[
    int,
    strawberry.argument(
        description="The window: this many local days ending today (1 to 90); diffs compare"
        " with the same number of days before it."
    ),
]


def range_request(
    info: Info,
    start: str | None,
    end: str | None,
    timezone: str | None,
    tz: str | None,
    *,
    default_days: int = 30,
    limit: int = 0,
) -> RangeRequest:
    """A startDate/endDate range, for the source of the tenant's SMS analytics (the channel
    comparison routes each channel itself)."""
    context = info.context
    zone = parse_timezone(timezone, tz)
    now = context.clock()
    window = parse_range(start, end, zone, now, default_days)
    if end is None:  # the range ends now: it moves with the clock
        context.changes_by(now)
    tenant_id = context.principal.tenant_id
    return RangeRequest(
        source=context.registry.source_for(tenant_id, "sms"),
        tenant_id=tenant_id,
        start=window.start,
        end=window.end,
        timezone=zone.key,
        limit=limit,
        start_defaulted=start is None,
        end_defaulted=end is None,
    )


def period_request(
    info: Info, period: Period, timezone: str | None, tz: str | None
) -> RangeRequest:
    """The local days of a period as a range: from the first day's midnight to tomorrow's."""
    context = info.context
    zone = parse_timezone(timezone, tz)
    window = DayWindow.ending_today(period.days, zone, context.clock())
    context.changes_by(window.end)
    return RangeRequest(
        source=context.registry.default_source,
        tenant_id=context.principal.tenant_id,
        start=window.start,
        end=window.end,
        timezone=zone.key,
        period=period,
    )


def past_days_request(
    info: Info, days: int, timezone: str | None, tz: str | None
) -> PastDaysRequest:
    context = info.context
    zone = parse_timezone(timezone, tz)
    current = past_days(days, zone, context.clock())
    context.changes_by(current.end)
    tenant_id = context.principal.tenant_id
    return PastDaysRequest(
        source=context.registry.source_for(tenant_id, "email"),
        tenant_id=tenant_id,
        past_days=days,
        timezone=zone.key,
        today=current.days[-1],
    )
