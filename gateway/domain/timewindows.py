"""Local days, periods and their UTC boundaries: the pure time arithmetic behind every report."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from gateway.domain.messages import exact, half_up
from gateway.errors import BadUserInput

__all__ = [
    "BUCKET_SECONDS",
    "DEFAULT_TIMEZONE",
    "EARLIEST_ARGUMENT",
    "LATEST_ARGUMENT",
    "DayWindow",
    "Period",
    "TimeRange",
    "last_local_days",
    "local_day_start",
    "offset_segments",
    "parse_instant",
    "parse_range",
    "parse_timezone",
    "past_days",
    "percent_diff",
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


# Files of the zone database that are not zones one can name: the server's own zone, a template,
# a placeholder, and the leap-second (right/) and POSIX (posix/) copies of every zone.
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})


@cache
def zone_names() -> frozenset[str]:
    """The canonical IANA zone names and their links (Asia/Calcutta, US/Eastern, UTC)."""
    return frozenset(
        name
        for name in available_timezones()
        if name not in _NOT_ZONES and not name.startswith(("right/", "posix/"))
    )


@cache
def _zone(name: str) -> ZoneInfo:
    """The zone of a known name, loaded once per process. zoneinfo keeps only the 8 zones used
    last for sure (and the rest while something holds them), so viewers spread over more zones
    than that made it read and parse a zone file for almost every request; the names are
    checked against the database first, so this holds a few hundred zones at most."""
    return ZoneInfo(name)


def parse_timezone(timezone: str | None = None, tz: str | None = None) -> ZoneInfo:
    """Resolve `timezone` (or its alias `tz`) to a zone; neither given means UTC."""
    if timezone is not None and tz is not None and timezone != tz:
        raise BadUserInput(
            f"timezone {timezone!r} and its alias tz {tz!r} disagree; give one of them",
            argument="timezone",
        )
    name = timezone if timezone is not None else tz
    if name is None:
        return _zone(DEFAULT_TIMEZONE)
    try:
        if name not in zone_names():
            raise ValueError(name)
        return _zone(name)
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


def utc_offset(moment: int, zone: ZoneInfo) -> int:
    """`zone`'s offset from UTC at a Unix second, in seconds."""
    offset = datetime.fromtimestamp(moment, zone).utcoffset()
    return 0 if offset is None else int(offset.total_seconds())


# No zone has changed its offset twice within a week since 1970 (the closest: seven days, Brazil
# in 2000), so a day's step cannot pass over a change and back.
_OFFSET_STEP = 86_400


def offset_segments(start: int, end: int, zone: ZoneInfo) -> list[tuple[int, int, int]]:
    """[lo, hi) spans of Unix seconds covering [start, end) in order, in each of which `zone`
    keeps one UTC offset, with that offset in seconds: a 90-day window has one to three."""
    segments: list[tuple[int, int, int]] = []
    lo, offset = start, utc_offset(start, zone)
    probe = start
    while probe < end:
        step = min(probe + _OFFSET_STEP, end - 1)
        if step <= probe:
            break
        if utc_offset(step, zone) != offset:
            # The first second at the new offset, by bisection in (probe, step].
            before, after = probe, step
            while after - before > 1:
                middle = (before + after) // 2
                if utc_offset(middle, zone) == offset:
                    before = middle
                else:
                    after = middle
            segments.append((lo, after, offset))
            lo, offset = after, utc_offset(after, zone)
            probe = after
            continue
        probe = step
    segments.append((lo, end, offset))
    return segments


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
        return cls(_days_ending(now.astimezone(zone).date(), count), zone)

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
        return list(_boundaries(self.days[0], len(self.days), self.zone))


@lru_cache(maxsize=1024)
def _days_ending(today: date, count: int) -> tuple[date, ...]:
    return tuple(today - timedelta(days=offset) for offset in range(count - 1, -1, -1))


@lru_cache(maxsize=4096)
def _boundaries(first: date, count: int, zone: ZoneInfo) -> tuple[int, ...]:
    # Kept: every dashboard of a window asks for the same edges (ten numbers' 90-day
    # dashboards, 910 conversions to UTC), and a window's edges hold until its zone's rules
    # change, which takes a new process.
    edges = [first + timedelta(days=i) for i in range(count + 1)]
    return tuple(int(local_day_start(day, zone).timestamp()) for day in edges)


MAX_RANGE = timedelta(days=366)
# The instants a startDate/endDate may name, after its zone is applied: far wider than any
# data (events are 1970..2100), and far enough inside datetime's years 1..9999 that a default
# start 90 days back, a local day's end or a month of engagement never leaves them.
EARLIEST_ARGUMENT = datetime(1900, 1, 1, tzinfo=UTC)
LATEST_ARGUMENT = datetime(2200, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class TimeRange:
    """A half-open range of instants [start, end), both in UTC, seen from a zone."""

    start: datetime
    end: datetime
    zone: ZoneInfo

    def local_days(self) -> list[date]:
        """Every local day the range touches, first to last."""
        return list(_local_days(self.start, self.end, self.zone))

    def day_edges(self) -> list[int]:
        """Unix seconds cutting the range at local midnights: one interval per local day, the
        first and last clipped to the range."""
        days = self.local_days()
        # The midnights inside the range are a window's edges, kept (see _boundaries): a range
        # ending now moves every request, its days only once a day.
        inner = _boundaries(days[0] + timedelta(days=1), len(days) - 1, self.zone)[:-1]
        return [int(self.start.timestamp()), *inner, int(self.end.timestamp())]

    @property
    def edges(self) -> list[int]:
        return [int(self.start.timestamp()), int(self.end.timestamp())]


# A request's reports (the channel comparison asks three) cut the same range into the same days.
@lru_cache(maxsize=256)
def _local_days(start: datetime, end: datetime, zone: ZoneInfo) -> tuple[date, ...]:
    first = start.astimezone(zone).date()
    last = (end - timedelta(microseconds=1)).astimezone(zone).date()
    return tuple(first + timedelta(days=i) for i in range((last - first).days + 1))


def parse_instant(value: str, zone: ZoneInfo, argument: str) -> datetime:
    """An ISO 8601 date (local midnight in `zone`) or datetime (local in `zone` without an
    offset), in UTC, within [EARLIEST_ARGUMENT, LATEST_ARGUMENT)."""
    try:
        if "T" not in value and " " not in value.strip():
            day = date.fromisoformat(value)
            moment = datetime.combine(day, time(0), tzinfo=zone)
        else:
            moment = datetime.fromisoformat(value)  # Python 3.11 reads a Z suffix itself
    except ValueError:
        raise BadUserInput(
            f"{argument} {value!r} is not an ISO 8601 date or datetime", argument=argument
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    try:
        instant = moment.astimezone(UTC)  # year 1 or 9999 shifted by an offset overflows
    except OverflowError:
        instant = None
    if instant is None or not EARLIEST_ARGUMENT <= instant < LATEST_ARGUMENT:
        raise BadUserInput(
            f"{argument} {value!r} is outside the dates the gateway answers for "
            "(1900-01-01 to 2200-01-01 UTC)",
            argument=argument,
        )
    return instant


def parse_range(
    start: str | None, end: str | None, zone: ZoneInfo, now: datetime, default_days: int = 30
) -> TimeRange:
    """startDate/endDate as the MessageSender documents take them: end defaults to now, start to
    `default_days` before end; at most 366 days."""
    end_at = now.astimezone(UTC) if end is None else parse_instant(end, zone, "endDate")
    start_at = (
        end_at - timedelta(days=default_days)
        if start is None
        else parse_instant(start, zone, "startDate")
    )
    if start_at >= end_at:
        raise BadUserInput("startDate must be before endDate", argument="startDate")
    if end_at - start_at > MAX_RANGE:
        raise BadUserInput("the range may span at most 366 days", argument="startDate")
    return TimeRange(start_at, end_at, zone)


def past_days(count: int, zone: ZoneInfo, now: datetime) -> DayWindow:
    """The `count` local days ending today (1 to 90). The reports compare them with the `count`
    days before, which they work out from the days they are given."""
    if not 1 <= count <= 90:
        raise BadUserInput("pastDays must be between 1 and 90", argument="pastDays")
    return DayWindow.ending_today(count, zone, now)


def percent_diff(current: float, previous: float) -> float | None:
    """Change against the preceding window in percent; None when there was nothing before."""
    if previous == 0:
        return None
    now, before = exact(current), exact(previous)
    return half_up((now - before) / before * 100)
