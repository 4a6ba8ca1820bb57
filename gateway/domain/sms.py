"""SMS analytics as MessageSender documents them: overview, trends, best send times."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from gateway.domain.campaigns import CampaignStatusCounts
from gateway.domain.messages import DeliveryCounts
from gateway.domain.timewindows import Period

__all__ = [
    "BestSendTimes",
    "ContactTotals",
    "RangeRequest",
    "SendTimeSlot",
    "SmsOverview",
    "TrendDay",
]


class RangeRequest(BaseModel):
    """A tenant's report over [start, end) with local days in `timezone`."""

    model_config = ConfigDict(frozen=True)

    source: str
    tenant_id: str
    start: datetime
    end: datetime
    timezone: str
    limit: int = 0
    period: Period | None = None  # when the range is a dashboard period, for sources that
    # can only answer periods
    # When the caller named no start (it is the field's default days before the end) or no end
    # (it is now): a source whose own defaults are the same can be asked for them.
    start_defaulted: bool = False
    end_defaulted: bool = False
    # Set by a caller that reads the days' messages alone (the channel comparison): a source
    # may then leave the days' campaign counts at zero instead of counting a tenant's campaigns.
    messages_only: bool = False


class ContactTotals(BaseModel):
    model_config = ConfigDict(frozen=True)

    total: int = 0
    textable: int = 0
    opted_out: int = 0


class SmsOverview(BaseModel):
    model_config = ConfigDict(frozen=True)

    request: RangeRequest
    campaigns: CampaignStatusCounts
    messages: DeliveryCounts
    contacts: ContactTotals


class TrendDay(BaseModel):
    """One local day of the trends: messages by final status and campaigns by status."""

    model_config = ConfigDict(frozen=True)

    day: date
    messages: DeliveryCounts
    campaigns: CampaignStatusCounts


class SendTimeSlot(BaseModel):
    model_config = ConfigDict(frozen=True)

    slot: int
    counts: DeliveryCounts


class BestSendTimes(BaseModel):
    """Messages by local hour (0-23) and local day of week (0 = Sunday), all slots present."""

    model_config = ConfigDict(frozen=True)

    by_hour: tuple[SendTimeSlot, ...]
    by_day_of_week: tuple[SendTimeSlot, ...]
