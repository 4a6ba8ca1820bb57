"""Properties of the time windows and counters, over every IANA zone and many dates."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.domain.messages import DeliveryCounts, MessageStatus, rate
from gateway.domain.timewindows import DayWindow, local_day_start, offset_segments, percent_diff

# Zones that skipped a whole calendar day (crossing the date line): that day has no midnight
# at all, and no dashboard day to speak of.
SKIPPED_A_DAY = {
    "Pacific/Apia",
    "Pacific/Fakaofo",
    "Pacific/Kwajalein",
    "Kwajalein",
    "Pacific/Kiritimati",
    "Pacific/Enderbury",
    "Pacific/Kanton",
}
ZONES = sorted(
    z
    for z in available_timezones()
    if "/" in z and not z.startswith("Etc/") and z not in SKIPPED_A_DAY
)
days = st.dates(min_value=date(1980, 1, 1), max_value=date(2037, 12, 31))


@settings(max_examples=300, deadline=None)
@given(zone=st.sampled_from(ZONES), day=days)
def test_a_local_day_starts_on_that_day_and_lasts_about_a_day(zone: str, day: date) -> None:
    tz = ZoneInfo(zone)
    start = local_day_start(day, tz)
    end = local_day_start(day + timedelta(days=1), tz)
    assert start.astimezone(tz).date() == day
    # Nothing of the day comes before its start: a second earlier is the day before.
    assert (start - timedelta(seconds=1)).astimezone(tz).date() < day
    # A day lasts its wall-clock span less the change of UTC offset across it (23 or 25 hours
    # on DST days, 23.5 or 24.5 in Lord Howe, whatever a zone's change of offset makes it).
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    wall = local_end.replace(tzinfo=None) - local_start.replace(tzinfo=None)
    shift = (local_end.utcoffset() or timedelta()) - (local_start.utcoffset() or timedelta())
    assert end - start == wall - shift
    assert local_start.time() < time(4)  # midnight, or the first instant after a gap


@settings(max_examples=200, deadline=None)
@given(zone=st.sampled_from(ZONES), first=days, length=st.integers(1, 90))
def test_windows_cover_their_days_without_gaps(zone: str, first: date, length: int) -> None:
    window = DayWindow.from_dates(first, first + timedelta(days=length - 1), ZoneInfo(zone))
    edges = window.boundaries()
    assert len(edges) == length + 1 and edges == sorted(set(edges))
    assert window.start == datetime.fromtimestamp(edges[0], UTC)


@given(counts=st.lists(st.integers(0, 10**6), min_size=5, max_size=5))
def test_counters_follow_their_definitions(counts: list[int]) -> None:
    c = DeliveryCounts.of(*counts)
    assert c.total == c.queued + c.sent + c.failed
    assert c.read <= c.delivered <= c.sent <= c.total
    assert 0.0 <= c.delivery_rate <= 100.0 and 0.0 <= c.read_rate <= 100.0
    assert c + DeliveryCounts() == c


@given(statuses=st.lists(st.sampled_from(list(MessageStatus)), min_size=1, max_size=8))
def test_the_final_status_is_the_highest_in_any_order(statuses: list[MessageStatus]) -> None:
    assert max(statuses) == max(reversed(statuses))
    if MessageStatus.DELIVERED in statuses or MessageStatus.READ in statuses:
        assert max(statuses) >= MessageStatus.DELIVERED  # a later failure cannot undo it


@given(current=st.integers(0, 10**6), previous=st.integers(0, 10**6))
def test_diffs_and_rates(current: int, previous: int) -> None:
    diff = percent_diff(current, previous)
    assert (diff is None) == (previous == 0)
    if diff is not None:
        assert diff == float(half_up_decimal(Decimal(current - previous) * 100 / previous))
    assert rate(min(current, previous), max(current, previous)) <= 100.0
    if previous:
        assert rate(current, previous) == float(half_up_decimal(Decimal(current * 100) / previous))


def half_up_decimal(value: Decimal) -> Decimal:
    # Enough digits that no quotient of these integers lands on a false half.
    with localcontext() as context:
        context.prec = 60
        return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [(1, 8, 12.5), (1, 800, 0.13), (2469, 20000, 12.35), (1, 3, 33.33), (2, 3, 66.67)],
)
def test_rates_round_half_up(part: int, whole: int, expected: float) -> None:
    # 1 / 800 = 0.125% exactly, which round(0.125, 2) on a float makes 0.12.
    assert rate(part, whole) == expected


def test_diffs_of_decimal_figures_round_as_they_print() -> None:
    assert percent_diff(12.345, 10) == 23.45 and percent_diff(1.005, 1) == 0.5
    assert percent_diff(9, 8) == 12.5 and percent_diff(7, 8) == -12.5


@settings(max_examples=300, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    start=st.integers(0, 2_100_000_000),
    length=st.integers(1, 366 * 86_400),
)
def test_offset_segments_cover_a_range_with_the_zones_offsets(
    zone: str, start: int, length: int
) -> None:
    tz = ZoneInfo(zone)
    end = start + length
    segments = offset_segments(start, end, tz)
    assert segments[0][0] == start and segments[-1][1] == end
    for (_, hi, offset), (lo, _, following) in itertools.pairwise(segments):
        assert hi == lo and offset != following  # each one where the offset changes
    for lo, hi, offset in segments:
        assert lo < hi
        # At both ends of each segment, and every 6 hours inside it, the zone's own offset.
        for moment in (lo, hi - 1, *range(lo, hi, 6 * 3600)):
            found = datetime.fromtimestamp(moment, tz).utcoffset()
            assert found is not None and found.total_seconds() == offset, (moment, offset)
