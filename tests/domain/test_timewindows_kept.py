"""Zones and day windows are kept per process: the same answers, without the work again."""

from __future__ import annotations

import gc
import weakref
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

from gateway.domain import timewindows
from gateway.domain.timewindows import DayWindow, TimeRange, local_day_start, parse_timezone

# DST north and south, half-hour and 45-minute offsets, a 30-minute DST shift (Lord Howe).
ZONES = (
    "America/Sao_Paulo",
    "America/New_York",
    "America/Santiago",
    "America/St_Johns",
    "Europe/Berlin",
    "Europe/London",
    "Asia/Kathmandu",
    "Asia/Kolkata",
    "Asia/Tehran",
    "Australia/Adelaide",
    "Australia/Lord_Howe",
    "Australia/Eucla",
    "Pacific/Chatham",
    "Pacific/Auckland",
    "Atlantic/Azores",
    "UTC",
)


def test_a_zone_is_loaded_once_however_many_zones_are_asked_between() -> None:
    kept = weakref.ref(parse_timezone("Asia/Kathmandu"))
    for name in ZONES:  # more zones than zoneinfo keeps for sure (8)
        parse_timezone(name)
    gc.collect()
    again = parse_timezone("Asia/Kathmandu")
    assert kept() is again


def test_window_edges_are_each_local_midnight_and_kept() -> None:
    # From 2026-02-01 to mid-May: every DST change of the sample's zones in between.
    for name in ZONES:
        zone = parse_timezone(name)
        for now in (datetime(2026, 5, 15, 12, tzinfo=UTC), datetime(2026, 11, 2, 6, tzinfo=UTC)):
            window = DayWindow.ending_today(90, zone, now)
            today = now.astimezone(zone).date()
            days = [today - timedelta(days=back) for back in range(89, -1, -1)]
            assert list(window.days) == days
            expected = [int(local_day_start(d, zone).timestamp()) for d in days]
            expected.append(int(local_day_start(today + timedelta(days=1), zone).timestamp()))
            assert window.boundaries() == expected
    hits = timewindows._boundaries.cache_info().hits
    zone = parse_timezone("Australia/Lord_Howe")
    now = datetime(2026, 4, 5, 12, tzinfo=UTC)  # Lord Howe's 23.5-hour day is in the window
    first = DayWindow.ending_today(30, zone, now).boundaries()
    second = DayWindow.ending_today(30, zone, now).boundaries()
    assert first == second and timewindows._boundaries.cache_info().hits == hits + 1
    assert date(2026, 4, 5) in DayWindow.ending_today(30, zone, now).days
    lengths = {b - a for a, b in pairwise(first)}
    assert lengths == {86400, 86400 + 1800}  # Lord Howe's 24.5-hour day (DST ends 5 April)
    second.append(0)  # each caller gets its own list
    assert DayWindow.ending_today(30, zone, now).boundaries() == first


def test_range_edges_are_the_local_midnights_inside_it() -> None:
    for name in ZONES:
        zone = parse_timezone(name)
        for start, end in (
            (datetime(2026, 3, 1, 10, 7, tzinfo=UTC), datetime(2026, 5, 30, 10, 7, tzinfo=UTC)),
            (datetime(2026, 10, 20, tzinfo=UTC), datetime(2026, 11, 2, 23, 59, tzinfo=UTC)),
            (datetime(2026, 4, 5, 1, tzinfo=UTC), datetime(2026, 4, 5, 2, tzinfo=UTC)),
        ):
            window = TimeRange(start, end, zone)
            inner = [local_day_start(day, zone) for day in window.local_days()[1:]]
            expected = [int(m.timestamp()) for m in (start, *inner, end)]
            assert window.day_edges() == expected
    hits = timewindows._boundaries.cache_info().hits
    zone = parse_timezone("America/Santiago")
    now = datetime(2026, 4, 5, 12, tzinfo=UTC)
    for moved in range(3):  # a range ending now, asked three times a second apart
        at = now + timedelta(seconds=moved)
        TimeRange(at - timedelta(days=30), at, zone).day_edges()
    assert timewindows._boundaries.cache_info().hits == hits + 2
