"""SMS analytics in the graph, as MessageSender's analytics endpoints answer them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import strawberry

from gateway.domain.auth import REPORTS_READ
from gateway.domain.campaigns import CampaignStatusCounts, SmsCampaignPerformance
from gateway.domain.sms import SendTimeSlot
from gateway.errors import BadUserInput, TooManyResults
from gateway.schema.args import EndDateArg, Info, StartDateArg, TimezoneArg, TzArg, range_request
from gateway.schema.campaigns import SmsCampaignType
from gateway.schema.delivery import DeliveryTotals, delivery_totals

__all__ = ["MAX_EXPORT_ROWS", "SmsQueries"]

# Rows campaignExport answers at most; a window holding more is for the CSV export, which
# streams any number.
MAX_EXPORT_ROWS = 100

MAX_LIMIT = 100


@strawberry.type(description="Campaigns counted by status.")
class CampaignCounts:
    total: int = strawberry.field(description="All of them.")
    draft: int = strawberry.field(description="Draft.")
    scheduled: int = strawberry.field(description="Scheduled.")
    sending: int = strawberry.field(description="Sending.")
    completed: int = strawberry.field(description="Completed.")
    failed: int = strawberry.field(description="Failed.")
    canceled: int = strawberry.field(description="Canceled.")


def campaign_counts(counts: CampaignStatusCounts) -> CampaignCounts:
    return CampaignCounts(total=counts.total, **counts.model_dump())


@strawberry.type(description="Contacts as they are now.")
class ContactCounts:
    total: int = strawberry.field(description="Every contact.")
    textable: int = strawberry.field(description="Contacts confirmed reachable by SMS.")
    opted_out: int = strawberry.field(description="Contacts who opted out (isOptedIn false).")


@strawberry.type(
    description="A range's campaigns, messages, contacts and delivery rate (GET"
    " /api/analytics/overview)."
)
class SmsOverview:
    start: datetime = strawberry.field(description="Start of the range, included.")
    end: datetime = strawberry.field(description="End of the range, excluded.")
    campaigns: CampaignCounts = strawberry.field(description="Campaigns created in the range.")
    messages: DeliveryTotals = strawberry.field(
        description="Messages sent in the range, by final status (test sends left out)."
    )
    contacts: ContactCounts = strawberry.field(description="Contacts now.")
    delivery_rate: float = strawberry.field(
        description="The delivery rate: delivered / total * 100, rounded half-up to 2 places."
    )


@strawberry.type(
    description="One local day of the trends (GET /api/analytics/trends, both"
    " metrics); the first and last days are clipped to the range."
)
class SmsTrendDay:
    date: date = strawberry.field(description="The local day.")
    messages: DeliveryTotals = strawberry.field(description="Messages sent that day.")
    campaigns: CampaignCounts = strawberry.field(description="Campaigns created that day.")


@strawberry.type(description="Messages sent in one local hour of the day or day of the week.")
class SendTimeStats:
    slot: int = strawberry.field(description="Hour 0-23, or day of week 0 (Sunday) to 6.")
    total_sent: int = strawberry.field(description="Messages sent (total, test sends left out).")
    delivered: int = strawberry.field(description="Of those, delivered.")
    delivery_rate: float = strawberry.field(
        description="The delivery rate: delivered / totalSent * 100, rounded half-up to 2 places."
    )


def send_time(slot: SendTimeSlot) -> SendTimeStats:
    c = slot.counts
    return SendTimeStats(
        slot=slot.slot, total_sent=c.total, delivered=c.delivered, delivery_rate=c.delivery_rate
    )


@strawberry.type(
    description="Delivery by local hour and day of week (GET"
    " /api/analytics/best-send-times); every slot is present."
)
class BestSendTimes:
    by_hour: list[SendTimeStats] = strawberry.field(description="Hours 0 to 23.")
    by_day_of_week: list[SendTimeStats] = strawberry.field(description="0 = Sunday ... 6.")


@strawberry.type(description="A row of the campaigns export (GET /api/analytics/export).")
class CampaignExportRow:
    campaign_name: str = strawberry.field(description="Campaign Name.")
    status: str = strawberry.field(description="Status.")
    total_recipients: int = strawberry.field(description="Total Recipients: its messages.")
    sent: int = strawberry.field(description="Sent.")
    delivered: int = strawberry.field(description="Delivered.")
    failed: int = strawberry.field(description="Failed.")
    created_at: datetime = strawberry.field(description="Created At.")
    completed_at: datetime | None = strawberry.field(description="Completed At.")


def export_row(row: SmsCampaignPerformance) -> CampaignExportRow:
    c = row.counts
    return CampaignExportRow(
        campaign_name=row.campaign.name,
        status=row.campaign.status.value,
        total_recipients=c.total,
        sent=c.sent,
        delivered=c.delivered,
        failed=c.failed,
        created_at=row.campaign.created_at,
        completed_at=row.campaign.completed_at,
    )


LimitArg = Annotated[int, strawberry.argument(description=f"How many, 1 to {MAX_LIMIT}.")]


@strawberry.type(description="MessageSender's organization analytics (all need reports:read).")
class SmsAnalytics:
    @strawberry.field(description="Campaigns, messages, contacts and delivery rate.")
    async def overview(
        self,
        info: Info,
        start_date: StartDateArg = None,
        end_date: EndDateArg = None,
        timezone: TimezoneArg = None,
        tz: TzArg = None,
    ) -> SmsOverview | None:
        request = range_request(info, start_date, end_date, timezone, tz)
        o = await info.context.loaders.sms_overviews.get(request, info)
        return SmsOverview(
            start=o.request.start,
            end=o.request.end,
            campaigns=campaign_counts(o.campaigns),
            messages=delivery_totals(o.messages),
            contacts=ContactCounts(
                total=o.contacts.total, textable=o.contacts.textable, opted_out=o.contacts.opted_out
            ),
            delivery_rate=o.messages.delivery_rate,
        )

    @strawberry.field(description="Messages and campaigns per local day, every day present.")
    async def trends(
        self,
        info: Info,
        start_date: StartDateArg = None,
        end_date: EndDateArg = None,
        timezone: TimezoneArg = None,
        tz: TzArg = None,
    ) -> list[SmsTrendDay] | None:
        request = range_request(info, start_date, end_date, timezone, tz)
        days = await info.context.loaders.sms_trends.get(request, info)
        return [
            SmsTrendDay(
                date=d.day,
                messages=delivery_totals(d.messages),
                campaigns=campaign_counts(d.campaigns),
            )
            for d in days
        ]

    @strawberry.field(
        description="Completed campaigns created in the range, by delivery rate,"
        " then size, then newest. Each campaign's messages (and so its rate) count all of"
        " its messages, whenever sent: the range picks campaigns, not messages."
    )
    async def top_campaigns(
        self,
        info: Info,
        start_date: StartDateArg = None,
        end_date: EndDateArg = None,
        timezone: TimezoneArg = None,
        tz: TzArg = None,
        limit: LimitArg = 10,
    ) -> list[SmsCampaignType] | None:
        if not 1 <= limit <= MAX_LIMIT:
            raise BadUserInput(f"limit must be between 1 and {MAX_LIMIT}", argument="limit")
        request = range_request(info, start_date, end_date, timezone, tz, limit=limit)
        top = await info.context.loaders.top_campaigns.get(request, info)
        return [SmsCampaignType(model=row.campaign, counts_hint=row) for row in top]

    @strawberry.field(description="Delivery by local hour and day of week; default range 90 days.")
    async def best_send_times(
        self,
        info: Info,
        start_date: StartDateArg = None,
        end_date: EndDateArg = None,
        timezone: TimezoneArg = None,
        tz: TzArg = None,
    ) -> BestSendTimes | None:
        request = range_request(info, start_date, end_date, timezone, tz, default_days=90)
        best = await info.context.loaders.best_send_times.get(request, info)
        return BestSendTimes(
            by_hour=[send_time(s) for s in best.by_hour],
            by_day_of_week=[send_time(s) for s in best.by_day_of_week],
        )

    @strawberry.field(
        description=f"The rows of the campaigns CSV export, oldest first, at most"
        f" {MAX_EXPORT_ROWS}: a window holding more answers TOO_MANY_RESULTS (ask a shorter"
        " one, or GET /export/campaigns.csv)."
    )
    async def campaign_export(
        self,
        info: Info,
        start_date: StartDateArg = None,
        end_date: EndDateArg = None,
        timezone: TimezoneArg = None,
        tz: TzArg = None,
    ) -> list[CampaignExportRow] | None:
        # One row past the bound tells a window over it without reading the window whole.
        request = range_request(info, start_date, end_date, timezone, tz, limit=MAX_EXPORT_ROWS + 1)
        rows = await info.context.loaders.campaign_exports.get(request, info)
        if len(rows) > MAX_EXPORT_ROWS:
            raise TooManyResults(
                f"the window holds more than the {MAX_EXPORT_ROWS} campaigns"
                " campaignExport answers at once; ask a shorter window, or GET"
                " /export/campaigns.csv for any number",
                limit="maxExportRows",
                max=MAX_EXPORT_ROWS,
            )
        return [export_row(row) for row in rows]


@strawberry.type
class SmsQueries:
    @strawberry.field(
        description="SMS analytics: overview, trends, top campaigns, best send times, export."
    )
    def sms(self, info: Info) -> SmsAnalytics | None:
        info.context.principal.require_tenant_scope(REPORTS_READ)
        return SmsAnalytics()
