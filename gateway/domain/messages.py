"""Outbound messages, their statuses, and the delivery counters computed from them."""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from fractions import Fraction
from typing import Any, overload

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    computed_field,
)
from pydantic_core import core_schema

__all__ = [
    "DailyDelivery",
    "DailySeries",
    "DeliveryCounts",
    "MessageStatus",
    "OutboundMessage",
    "StatusUpdate",
    "exact",
    "half_up",
    "rate",
]


class MessageStatus(enum.IntEnum):
    """A message's status; the value is its rank, and a message's final status is its highest.

    A failure reported after `sent` turns the message into failed; one reported after delivered
    or read is ignored. `read` exists only on WhatsApp, and only with read receipts on.
    """

    QUEUED = 0
    SENT = 1
    FAILED = 2
    DELIVERED = 3
    READ = 4

    @classmethod
    def parse(cls, name: str) -> MessageStatus:
        try:
            return cls[name.strip().upper()]
        except KeyError:
            allowed = ", ".join(s.name.lower() for s in cls)
            raise ValueError(f"unknown status {name!r}; expected one of {allowed}") from None


def half_up(value: Fraction) -> float:
    """An exact value rounded to 2 places, halves away from zero (12.345 -> 12.35, -0.125 ->
    -0.13): the one rounding rule of every rate and diff. Exact, because round() on a float
    rounds the binary neighbour of 12.345, which is below it."""
    hundredths = math.floor(abs(value) * 100 + Fraction(1, 2))
    return (hundredths if value >= 0 else -hundredths) / 100


def exact(value: float) -> Fraction:
    """A figure as the decimal it prints as (a rate of 33.33 is 3333/100, not its binary
    neighbour)."""
    return Fraction(value) if isinstance(value, int) else Fraction(repr(value))


def rate(part: int, whole: int) -> float:
    """part / whole in percent, rounded half-up to 2 places; 0.0 over a zero denominator."""
    return half_up(Fraction(part * 100, whole)) if whole else 0.0


class DeliveryCounts(BaseModel):
    """Messages counted by final status, in the counters of ARCHITECTURE.md."""

    @classmethod
    def of(
        cls, queued: int, sent_only: int, failed: int, delivered_only: int, read: int
    ) -> DeliveryCounts:
        """Counts the store summed itself, so already valid: built without validation."""
        return cls.model_construct(
            queued=queued,
            sent_only=sent_only,
            failed=failed,
            delivered_only=delivered_only,
            read=read,
        )

    model_config = ConfigDict(frozen=True)

    queued: int = 0
    sent_only: int = Field(0, description="final status sent: no delivery receipt yet")
    failed: int = 0
    delivered_only: int = Field(0, description="final status delivered, not read")
    read: int = 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def total(self) -> int:
        return self.queued + self.sent_only + self.failed + self.delivered_only + self.read

    @computed_field  # type: ignore[prop-decorator]
    @property
    def sent(self) -> int:
        return self.sent_only + self.delivered_only + self.read

    @computed_field  # type: ignore[prop-decorator]
    @property
    def delivered(self) -> int:
        return self.delivered_only + self.read

    @property
    def delivery_rate(self) -> float:
        return rate(self.delivered, self.total)

    @property
    def read_rate(self) -> float:
        return rate(self.read, self.delivered)

    def __add__(self, other: DeliveryCounts) -> DeliveryCounts:
        # Sums of valid counts are valid: no need to validate them again (a hot path).
        return DeliveryCounts.model_construct(
            queued=self.queued + other.queued,
            sent_only=self.sent_only + other.sent_only,
            failed=self.failed + other.failed,
            delivered_only=self.delivered_only + other.delivered_only,
            read=self.read + other.read,
        )


class DailyDelivery(BaseModel):
    """One local day's delivery counters."""

    model_config = ConfigDict(frozen=True)

    day: date
    counts: DeliveryCounts


class DailySeries(Sequence[DailyDelivery]):
    """Days with their counters, held as two flat tuples (the days; five counters a day) and
    read as DailyDelivery points, each built when asked for.

    A dashboard is kept for as long as a live question or the memo holds it. Kept as models, a
    90-day series is some 540 objects the garbage collector walks on every full collection; a
    thousand live dashboards made those collections hold the event loop 250-400 ms. Tuples of
    dates and ints are not tracked by the collector at all.
    """

    __slots__ = ("_days", "_sums")

    def __init__(self, days: Iterable[date], sums: Iterable[int]) -> None:
        self._days = tuple(days)
        self._sums = tuple(sums)  # queued, sent_only, failed, delivered_only, read per day
        if len(self._sums) != 5 * len(self._days):
            raise ValueError("a daily series has five counters for each day")

    @classmethod
    def of(cls, points: Iterable[DailyDelivery]) -> DailySeries:
        if isinstance(points, DailySeries):
            return points
        days: list[date] = []
        sums: list[int] = []
        for point in points:
            c = point.counts
            days.append(point.day)
            sums += (c.queued, c.sent_only, c.failed, c.delivered_only, c.read)
        return cls(days, sums)

    def totals(self) -> DeliveryCounts:
        """The counters summed over every day."""
        s = self._sums
        return DeliveryCounts.of(*(sum(s[i::5]) for i in range(5)))

    def __len__(self) -> int:
        return len(self._days)

    @overload
    def __getitem__(self, index: int) -> DailyDelivery: ...

    @overload
    def __getitem__(self, index: slice) -> DailySeries: ...

    def __getitem__(self, index: int | slice) -> DailyDelivery | DailySeries:
        if isinstance(index, slice):
            return DailySeries.of(self._point(i) for i in range(len(self._days))[index])
        return self._point(range(len(self._days))[index])  # IndexError past either end

    def __iter__(self) -> Iterator[DailyDelivery]:
        return (self._point(i) for i in range(len(self._days)))

    def daily_counts(self) -> Iterator[tuple[date, DeliveryCounts]]:
        """Each day with its counts, oldest first: what a view of the series reads, without a
        DailyDelivery built around each (half the cost of iterating the points)."""
        sums = self._sums
        for i, day in enumerate(self._days):
            yield day, DeliveryCounts.of(*sums[5 * i : 5 * i + 5])

    def _point(self, i: int) -> DailyDelivery:
        return DailyDelivery.model_construct(
            day=self._days[i], counts=DeliveryCounts.of(*self._sums[5 * i : 5 * i + 5])
        )

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DailySeries):
            return self._days == other._days and self._sums == other._sums
        if isinstance(other, Sequence) and not isinstance(other, str | bytes):
            return list(self) == list(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self._days, self._sums))

    def __repr__(self) -> str:
        return f"DailySeries({len(self._days)} days from {self._days[:1]})"

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        # Any sequence of points is taken (upstream adapters build tuples of them).
        return core_schema.no_info_plain_validator_function(
            lambda value: cls.of(value),
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda series: [point.model_dump() for point in series]
            ),
        )


class OutboundMessage(BaseModel):
    """A message the business sent, as ingest hands it to the store."""

    model_config = ConfigDict(frozen=True)

    tenant_id: str
    number_id: int
    external_id: str = Field(min_length=1, max_length=200)
    sent_at: AwareDatetime
    status: MessageStatus = MessageStatus.QUEUED
    is_test: bool = False


class StatusUpdate(BaseModel):
    """A status event for a message, possibly before the message itself is known."""

    model_config = ConfigDict(frozen=True)

    tenant_id: str
    external_id: str = Field(min_length=1, max_length=200)
    status: MessageStatus
    occurred_at: datetime | None = None
