"""Delivery counters as GraphQL types: one interface for totals and for each day of a series."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import strawberry

from gateway.domain.messages import DailyDelivery, DailySeries, DeliveryCounts, rate

__all__ = [
    "DeliveryDay",
    "DeliveryFigures",
    "DeliveryTotals",
    "delivery_day",
    "delivery_series",
    "delivery_totals",
]


@strawberry.interface(
    description="Outbound messages counted by final status (queued < sent < failed < delivered"
    " < read); test sends are left out. total = queued + sent + failed."
)
class DeliveryFigures:
    total: int = strawberry.field(description="Every outbound message except test sends.")
    queued: int = strawberry.field(description="Not yet handed to the network.")
    sent: int = strawberry.field(description="Sent, delivered or read.")
    delivered: int = strawberry.field(description="Delivered or read.")
    read: int = strawberry.field(
        description="Read; WhatsApp reports this only when the recipient has read receipts on."
    )
    failed: int = strawberry.field(description="Failed (a failure after delivery is ignored).")
    delivery_rate: float = strawberry.field(
        description="The delivery rate: delivered / total * 100, rounded half-up to 2 places;"
        " 0 when total is 0."
    )
    read_rate: float = strawberry.field(
        description="The read rate: read / delivered * 100, rounded half-up to 2 places; 0 when"
        " delivered is 0."
    )


@strawberry.type(description="Delivery counters summed over a whole window.")
class DeliveryTotals(DeliveryFigures):
    pass


@strawberry.type(description="Delivery counters of one local day, by the send time of messages.")
class DeliveryDay(DeliveryFigures):
    date: date = strawberry.field(description="The local day, in the requested timezone.")


class _Figure:
    """One figure of a DeliveryFigures, read from its counts when a query asks for it rather
    than computed up front: a 90-day series is 90 objects, and most queries select a few of
    their fields (the rates alone cost more than all the rest)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: _FromCounts, owner: type | None = None) -> Any:
        return getattr(instance._counts, self.name)

    def __set__(self, instance: _FromCounts, value: object) -> None:
        raise AttributeError(f"{self.name} is read from the counts")


class _FromCounts:
    _counts: DeliveryCounts
    total = _Figure()
    queued = _Figure()
    sent = _Figure()
    delivered = _Figure()
    read = _Figure()
    failed = _Figure()
    delivery_rate = _Figure()
    read_rate = _Figure()


class _TotalsFromCounts(_FromCounts, DeliveryTotals):
    def __init__(self, counts: DeliveryCounts) -> None:
        self._counts = counts


class _DayFromCounts(_FromCounts, DeliveryDay):
    def __init__(self, day: date, counts: DeliveryCounts) -> None:
        self.date = day
        self._counts = counts


class _DayFromSums(DeliveryDay):
    """A day of a DailySeries, from the five counters it keeps: no pydantic model for each
    day. Figures read as DeliveryCounts reads them (the same sums, in the same order, when a
    query asks for them), the plain counters as they are."""

    def __init__(
        self, day: date, queued: int, sent_only: int, failed: int, delivered_only: int, read: int
    ) -> None:
        self.date = day
        self.queued, self.failed, self.read = queued, failed, read
        self._sent_only, self._delivered_only = sent_only, delivered_only

    @property
    def total(self) -> int:  # type: ignore[override]
        return self.queued + self._sent_only + self.failed + self._delivered_only + self.read

    @property
    def sent(self) -> int:  # type: ignore[override]
        return self._sent_only + self._delivered_only + self.read

    @property
    def delivered(self) -> int:  # type: ignore[override]
        return self._delivered_only + self.read

    @property
    def delivery_rate(self) -> float:  # type: ignore[override]
        return rate(self.delivered, self.total)

    @property
    def read_rate(self) -> float:  # type: ignore[override]
        return rate(self.read, self.delivered)


def delivery_series(series: Sequence[DailyDelivery]) -> list[DeliveryDay]:
    """The days of a series as DeliveryDay views; a DailySeries's without a model per day."""
    if isinstance(series, DailySeries):
        return [_DayFromSums(*row) for row in series.rows()]
    return [delivery_day(point.day, point.counts) for point in series]


def delivery_totals(counts: DeliveryCounts) -> DeliveryTotals:
    return _TotalsFromCounts(counts)


def delivery_day(day: date, counts: DeliveryCounts) -> DeliveryDay:
    return _DayFromCounts(day, counts)
