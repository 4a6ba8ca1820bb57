"""WhatsApp numbers and their dashboards."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict

from gateway.domain.messages import DailyDelivery, DeliveryCounts
from gateway.timewindows import Period

__all__ = ["DashboardRequest", "NumberDashboard", "NumberRef", "WhatsAppNumber"]


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
    series: tuple[DailyDelivery, ...]
