"""Local days, periods and their UTC boundaries: the pure time arithmetic behind every report."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gateway.errors import BadUserInput

__all__ = [
    "BUCKET_SECONDS",
    "DEFAULT_TIMEZONE",
    "DayWindow",
    "Period",
    "last_local_days",
    "local_day_start",
    "parse_timezone",
]

DEFAULT_TIMEZONE = "UTC"

# Every offset in use since the 1980s is a multiple of 15 minutes (+05:45 Kathmandu, +12:45
# Chatham), so local-day boundaries fall on 15-minute UTC buckets and rollups fold exactly.
BUCKET_SECONDS = 900


class Period(enum.Enum):
    """A dashboard window: the N local days ending with today, today included."""

    DAYS_7 = "7d"
    DAYS_30 = "30d"
    DAYS_90 = "90d"

    @property
    def days(self) -> int:
        return int(self.value.removesuffix("d"))


def parse_timezone(timezone: str | None = None, tz: str | None = None) -> ZoneInfo:
    """Resolve `timezone` (or its alias `tz`) to a zone; neither given means UTC."""
    if timezone is not None and tz is not None and timezone != tz:
        raise BadUserInput(
            f"timezone {timezone!r} and its alias tz {tz!r} disagree; give one of them",
            argument="timezone",
        )
    name = timezone if timezone is not None else tz
    if name is None:
        return ZoneInfo(DEFAULT_TIMEZONE)
    try:
        if not name or name != name.strip():
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise BadUserInput(
            f"unknown timezone {name!r}: use an IANA name such as 'America/Sao_Paulo'",
            argument="timezone",
        ) from None


def local_day_start(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of `day` in `zone`, in UTC.

    When midnight falls in a DST gap (as in America/Sao_Paulo until 2019), fold=0 takes the
    offset from before the jump, which lands on the first instant that exists that day.
    """
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def last_local_days(count: int, zone: ZoneInfo, now: datetime) -> list[date]:
    """The `count` local days ending with today in `zone`, oldest first."""
    today = now.astimezone(zone).date()
    return [today - timedelta(days=offset) for offset in range(count - 1, -1, -1)]


@dataclass(frozen=True)
class DayWindow:
    """Consecutive local days in one zone, with their UTC boundaries."""

    days: tuple[date, ...]
    zone: ZoneInfo

    @classmethod
    def ending_today(cls, count: int, zone: ZoneInfo, now: datetime) -> DayWindow:
        return cls(tuple(last_local_days(count, zone, now)), zone)

    @classmethod
    def from_dates(cls, first: date, last: date, zone: ZoneInfo) -> DayWindow:
        span = (last - first).days + 1
        return cls(tuple(first + timedelta(days=i) for i in range(span)), zone)

    @property
    def start(self) -> datetime:
        return local_day_start(self.days[0], self.zone)

    @property
    def end(self) -> datetime:
        return local_day_start(self.days[-1] + timedelta(days=1), self.zone)

    def boundaries(self) -> list[int]:
        """Unix seconds of each day's start, then of the end of the last day."""
        edges = [*self.days, self.days[-1] + timedelta(days=1)]
        return [int(local_day_start(day, self.zone).timestamp()) for day in edges]

    def is_bucket_aligned(self) -> bool:
        return all(edge % BUCKET_SECONDS == 0 for edge in self.boundaries())
