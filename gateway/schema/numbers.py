"""WhatsApp numbers and their dashboards: Pilot Status's analytics dashboard, and more."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Annotated

import strawberry

from gateway.domain.auth import ANALYTICS_READ
from gateway.domain.numbers import DashboardRequest, NumberDashboard, NumberRef, WhatsAppNumber
from gateway.domain.timewindows import Period, local_day_start, parse_timezone
from gateway.errors import NotFound, NumberNotLinked
from gateway.providers.native.store import row_id
from gateway.schema.args import Info, PeriodArg, PeriodEnum, TimezoneArg, TzArg
from gateway.schema.delivery import DeliveryDay, DeliveryTotals, delivery_series, delivery_totals
from gateway.schema.ids import decode_id, encode_id
from gateway.schema.node import Node

__all__ = ["NumberQueries", "WhatsAppNumberType"]


@strawberry.type(
    name="NumberDashboard",
    description="A WhatsApp number's send metrics over"
    " a period: totals and a chart-ready daily series with every local day present.",
)
class NumberDashboardType:
    model: strawberry.Private[NumberDashboard]

    @strawberry.field(description="The window the dashboard covers.")
    def period(self) -> PeriodEnum:  # type: ignore[valid-type]
        return self.model.request.period

    @strawberry.field(description="The IANA timezone the local days are counted in.")
    def timezone(self) -> str:
        return self.model.request.timezone

    @strawberry.field(description="The first local day of the window.")
    def start_date(self) -> date:
        return self.model.series[0].day

    @strawberry.field(description="The last local day of the window (today), included.")
    def end_date(self) -> date:
        return self.model.series[-1].day

    @strawberry.field(description="Counters summed over the window.")
    def totals(self) -> DeliveryTotals:
        return delivery_totals(self.model.totals)

    @strawberry.field(description="One point per local day, oldest first, zeros included.")
    def series(self) -> list[DeliveryDay]:
        return delivery_series(self.model.series)


async def load_dashboard(
    info: Info, ref: NumberRef, period: Period, timezone: str | None, tz: str | None
) -> NumberDashboardType:
    context = info.context
    context.principal.require_scope(ANALYTICS_READ)
    zone = parse_timezone(timezone, tz)
    today = context.clock().astimezone(zone).date()
    context.changes_by(local_day_start(today + timedelta(days=1), zone))
    request = DashboardRequest(number=ref, period=period, timezone=zone.key, today=today)
    return NumberDashboardType(model=await context.loaders.dashboards.get(request, info))


@strawberry.federation.type(
    name="WhatsAppNumber", keys=["id"], description="A WhatsApp sender number of the tenant."
)
class WhatsAppNumberType(Node):
    model: strawberry.Private[WhatsAppNumber]

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> WhatsAppNumberType:
        # Through the numbers loader: many representations are one batched provider call.
        return await find_number(info, id)

    @strawberry.field(description="Global ID of the number.")
    def id(self) -> strawberry.ID:
        ref = self.model.ref
        return strawberry.ID(encode_id("WhatsAppNumber", ref.source, ref.number_id))

    @strawberry.field(description="The number in E.164 form, such as +5511999990000.")
    def phone_number(self) -> str:
        return self.model.phone_number

    @strawberry.field(description="The name the tenant gave the number, if any.")
    def display_name(self) -> str | None:
        return self.model.display_name

    @strawberry.field(description="Send metrics of this number (needs analytics:read).")
    async def dashboard(
        self,
        info: Info,
        period: PeriodArg = Period.DAYS_30,
        timezone: TimezoneArg = None,
        tz: TzArg = None,
    ) -> NumberDashboardType | None:
        return await load_dashboard(info, self.model.ref, period, timezone, tz)


async def linked_number(info: Info) -> WhatsAppNumberType:
    context = info.context
    principal = context.principal
    number_id = principal.linked_number()
    # The key names the number, not where it lives: it may be at any source (a Pilot Status
    # number, say). One batched lookup; an id names one number, so at most one ref matches.
    refs = [
        NumberRef(source=source, tenant_id=principal.tenant_id, number_id=number_id)
        for source in context.registry.names
    ]
    loader = context.loaders.numbers
    found = [n for n in await asyncio.gather(*map(loader.get, refs)) if n is not None]
    if not found:
        raise NumberNotLinked("the number this key was linked to no longer exists")
    return WhatsAppNumberType(model=found[0])


@strawberry.type
class NumberQueries:
    @strawberry.field(
        description="One of the tenant's numbers by id; NOT_FOUND for a number"
        " the key cannot see. Needs analytics:read."
    )
    async def number(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="A number's id.")],
    ) -> WhatsAppNumberType | None:
        return await find_number(info, id)

    @strawberry.field(
        description="The number linked to the calling number-scoped key."
        " TENANT_SCOPE_NOT_ALLOWED for tenant-scoped keys, NUMBER_NOT_LINKED for"
        " a key with no number."
    )
    async def linked_number(self, info: Info) -> WhatsAppNumberType | None:
        return await linked_number(info)

    @strawberry.field(
        description="The dashboard of the calling key's linked number, as Pilot"
        " Status's GET /v1/analytics/dashboard answers it; needs a number-scoped"
        " key with analytics:read."
    )
    async def dashboard(
        self,
        info: Info,
        period: PeriodArg = Period.DAYS_30,
        timezone: TimezoneArg = None,
        tz: TzArg = None,
    ) -> NumberDashboardType | None:
        number = await linked_number(info)
        return await load_dashboard(info, number.model.ref, period, timezone, tz)


async def find_number(info: Info, id: str) -> WhatsAppNumberType:
    """A number the caller may see, by global id; NOT_FOUND for any other."""
    principal = info.context.principal
    principal.require_scope(ANALYTICS_READ)
    source, local_id = decode_id(id, "WhatsAppNumber")
    number_id = row_id(local_id)
    if number_id is None or not principal.can_see_number(number_id):
        raise NotFound("no such number", argument="id")
    ref = NumberRef(source=source, tenant_id=principal.tenant_id, number_id=number_id)
    number = await info.context.loaders.numbers.get(ref)
    if number is None:
        raise NotFound("no such number", argument="id")
    return WhatsAppNumberType(model=number)
