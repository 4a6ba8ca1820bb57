"""WhatsApp numbers and their dashboards."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict

from gateway.domain.messages import DailySeries, DeliveryCounts
from gateway.domain.timewindows import Period

__all__ = [
    "DashboardRequest",
    "NumberDashboard",
    "NumberPage",
    "NumberPageRequest",
    "NumberRef",
    "WhatsAppNumber",
]


class NumberRef(BaseModel):
    """Which number, seen from which tenant: the key the number loaders batch on."""

    model_config = ConfigDict(frozen=True)

    source: str
    tenant_id: str
    number_id: int


class WhatsAppNumber(BaseModel):
    """A WhatsApp sender number belonging to one tenant."""

    model_config = ConfigDict(frozen=True)

    ref: NumberRef
    phone_number: str
    display_name: str | None = None


class NumberPageRequest(BaseModel):
    """One page of a tenant's numbers, oldest registered first, as Relay asks for it: the
    `size` nearest `after` (registered later) going forward, or nearest `before` going backward;
    with both, within the numbers between them. `only` confines the list to one number (a
    number-scoped key's)."""

    model_config = ConfigDict(frozen=True)

    tenant_id: str
    size: int
    backward: bool = False
    after: int | None = None
    before: int | None = None
    only: int | None = None


class NumberPage(BaseModel):
    """The page, oldest first, and whether numbers lie beyond each of its ends."""

    model_config = ConfigDict(frozen=True)

    numbers: list[WhatsAppNumber]
    has_next: bool
    has_previous: bool


class DashboardRequest(BaseModel):
    """One number's dashboard over a period ending on `today` (a local date in `timezone`)."""

    model_config = ConfigDict(frozen=True)

    number: NumberRef
    period: Period
    timezone: str
    today: date


class NumberDashboard(BaseModel):
    """Totals and a daily series with every local day of the period present."""

    model_config = ConfigDict(frozen=True)

    request: DashboardRequest
    totals: DeliveryCounts
    series: DailySeries
