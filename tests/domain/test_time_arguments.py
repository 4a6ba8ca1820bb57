"""The time arguments at their edges: naive datetimes in the request's zone, the years the
gateway answers for, pastDays 1..90, ranges of one instant to 366 days, and windows that keep
their zone whatever zone the machine runs in (each test names zones far from UTC)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gateway.domain.timewindows import (
    EARLIEST_ARGUMENT,
    LATEST_ARGUMENT,
    DayWindow,
    TimeRange,
    parse_instant,
    parse_range,
    parse_timezone,
    past_days,
)
from gateway.errors import BadUserInput

SAO_PAULO = ZoneInfo("America/Sao_Paulo")  # -03:00
KATHMANDU = ZoneInfo("Asia/Kathmandu")  # +05:45
SANTIAGO = ZoneInfo("America/Santiago")  # -04:00, -03:00 in its summer
NOW = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)  # already the 23rd in Kathmandu


def refusal(call: object, *args: object) -> BadUserInput:
    with pytest.raises(BadUserInput) as caught:
        call(*args)  # type: ignore[operator]
    return caught.value


@pytest.mark.parametrize(
    ("value", "zone", "instant"),
    [
        # Without an offset a datetime is local to the request's zone, never UTC.
        ("2026-03-10T10:00", SAO_PAULO, datetime(2026, 3, 10, 13, 0, tzinfo=UTC)),
        ("2026-03-10 10:00", SAO_PAULO, datetime(2026, 3, 10, 13, 0, tzinfo=UTC)),
        ("2026-03-10T10:00", KATHMANDU, datetime(2026, 3, 10, 4, 15, tzinfo=UTC)),
        # A date is local midnight.
        ("2026-03-10", SAO_PAULO, datetime(2026, 3, 10, 3, 0, tzinfo=UTC)),
        ("2026-03-10", KATHMANDU, datetime(2026, 3, 9, 18, 15, tzinfo=UTC)),
        # An offset, or Z, says itself which instant it is.
        ("2026-03-10T10:00Z", SAO_PAULO, datetime(2026, 3, 10, 10, 0, tzinfo=UTC)),
        ("2026-03-10T10:00+05:45", SAO_PAULO, datetime(2026, 3, 10, 4, 15, tzinfo=UTC)),
    ],
)
def test_an_instant_without_an_offset_is_local_to_the_zone(
    value: str, zone: ZoneInfo, instant: datetime
) -> None:
    parsed = parse_instant(value, zone, "startDate")
    # The same instant, and in UTC: not in the zone asked, nor in the machine's.
    assert parsed == instant and parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize("value", ["2026-13-01", "yesterday", "", "2026-03-10T25:00", "10:00"])
def test_what_is_no_iso_date_or_datetime_is_bad_user_input(value: str) -> None:
    refused = refusal(parse_instant, value, SAO_PAULO, "endDate")
    assert refused.extensions == {"code": "BAD_USER_INPUT", "argument": "endDate"}
    assert f"endDate {value!r} is not an ISO 8601 date or datetime" in refused.message


@pytest.mark.parametrize(
    "value",
    [
        "1900-01-01T00:00:00Z",  # the first instant answered for
        "1900-01-01",
        "2199-12-31T23:59:59.999999Z",  # the last
        "2199-12-31T23:59:59.999999",
    ],
)
def test_the_first_and_last_instants_answered_for_are_accepted(value: str) -> None:
    instant = parse_instant(value, ZoneInfo("UTC"), "startDate")
    assert EARLIEST_ARGUMENT <= instant < LATEST_ARGUMENT


@pytest.mark.parametrize(
    ("value", "zone"),
    [
        ("1899-12-31T23:59:59.999999Z", ZoneInfo("UTC")),
        ("2200-01-01T00:00:00Z", ZoneInfo("UTC")),
        ("2200-01-01", ZoneInfo("UTC")),
        # Local midnight of 1900-01-01 east of Greenwich is still 1899 in UTC.
        ("1900-01-01", KATHMANDU),
        # Local midnight of 2200-01-01 west of it is 2200 in UTC; an hour before it is not.
        ("2199-12-31T23:00", SAO_PAULO),
        # Shifted out of datetime's years 1..9999 by the zone's offset.
        ("0001-01-01T00:00", KATHMANDU),
        ("9999-12-31T23:00", SAO_PAULO),
        ("0001-01-01T00:00+05:45", ZoneInfo("UTC")),
    ],
)
def test_instants_outside_1900_to_2200_are_bad_user_input(value: str, zone: ZoneInfo) -> None:
    refused = refusal(parse_instant, value, zone, "startDate")
    assert refused.extensions == {"code": "BAD_USER_INPUT", "argument": "startDate"}
    assert refused.message == (
        f"startDate {value!r} is outside the dates the gateway answers for"
        " (1900-01-01 to 2200-01-01 UTC)"
    )


def test_the_bounds_are_the_first_instants_of_1900_and_2200_in_utc() -> None:
    assert datetime(1900, 1, 1, tzinfo=UTC) == EARLIEST_ARGUMENT
    assert datetime(2200, 1, 1, tzinfo=UTC) == LATEST_ARGUMENT


def test_local_midnights_are_given_in_utc() -> None:
    # The instants a window starts and ends at are shown to clients (a bucket's start): in UTC,
    # never in the machine's zone.
    for zone in (SAO_PAULO, KATHMANDU, SANTIAGO):
        start = DayWindow.ending_today(3, zone, NOW).start
        assert start.utcoffset() == timedelta(0)


def test_a_range_of_dates_runs_from_local_midnight_to_local_midnight() -> None:
    window = parse_range("2026-03-01", "2026-03-03", SAO_PAULO, NOW)
    assert window == TimeRange(
        datetime(2026, 3, 1, 3, 0, tzinfo=UTC), datetime(2026, 3, 3, 3, 0, tzinfo=UTC), SAO_PAULO
    )
    # The end is read in the zone as well as the start.
    assert parse_range("2026-03-01", "2026-03-03", KATHMANDU, NOW).end == datetime(
        2026, 3, 2, 18, 15, tzinfo=UTC
    )


def test_a_range_s_refusals_name_the_argument_at_fault() -> None:
    for start, end, argument in [
        ("2026-13-01", "2026-03-01", "startDate"),
        ("2026-03-01", "2026-13-01", "endDate"),
        (None, "1800-01-01", "endDate"),
        ("1800-01-01", None, "startDate"),
    ]:
        refused = refusal(parse_range, start, end, SAO_PAULO, NOW)
        assert refused.extensions == {"code": "BAD_USER_INPUT", "argument": argument}
        assert refused.message.startswith(f"{argument} ")


def test_a_range_defaults_to_the_days_before_now() -> None:
    assert parse_range(None, None, SAO_PAULO, NOW) == TimeRange(
        NOW - timedelta(days=30), NOW, SAO_PAULO
    )
    assert parse_range(None, None, SAO_PAULO, NOW, default_days=90).start == NOW - timedelta(90)
    # One side given: the other is counted from it.
    end = datetime(2026, 3, 1, 3, 0, tzinfo=UTC)
    assert parse_range(None, "2026-03-01", SAO_PAULO, NOW).start == end - timedelta(days=30)
    assert parse_range("2026-11-01", None, SAO_PAULO, NOW).end == NOW
    # A now that is not in UTC still ends the range at the same instant, in UTC.
    default = parse_range(None, None, SANTIAGO, NOW.astimezone(KATHMANDU))
    assert default.end == NOW and default.end.utcoffset() == timedelta(0)
    assert default.start.utcoffset() == timedelta(0)


def test_a_range_is_at_least_one_instant_and_at_most_366_days() -> None:
    start = "2025-01-01T00:00:00Z"
    assert (
        parse_range(start, "2025-01-01T00:00:00.000001Z", SAO_PAULO, NOW).edges[1]
        - (parse_range(start, "2025-01-01T00:00:00.000001Z", SAO_PAULO, NOW).edges[0])
        == 0
    )
    empty = refusal(parse_range, start, start, SAO_PAULO, NOW)
    assert empty.extensions == {"code": "BAD_USER_INPUT", "argument": "startDate"}
    assert empty.message == "startDate must be before endDate"
    backwards = refusal(parse_range, "2025-01-02", "2025-01-01", SAO_PAULO, NOW)
    assert backwards.message == "startDate must be before endDate"
    # 2025-01-01 to 2026-01-02 is exactly 366 days.
    longest = parse_range(start, "2026-01-02T00:00:00Z", SAO_PAULO, NOW)
    assert longest.end - longest.start == timedelta(days=366)
    too_long = refusal(parse_range, start, "2026-01-02T00:00:00.000001Z", SAO_PAULO, NOW)
    assert too_long.extensions == {"code": "BAD_USER_INPUT", "argument": "startDate"}
    assert too_long.message == "the range may span at most 366 days"


def test_a_range_s_local_days_and_their_edges_are_cut_in_its_zone() -> None:
    # Local midnight to local midnight: the day the range ends on is not touched.
    window = TimeRange(
        datetime(2026, 3, 1, 3, 0, tzinfo=UTC), datetime(2026, 3, 3, 3, 0, tzinfo=UTC), SAO_PAULO
    )
    assert window.local_days() == [date(2026, 3, 1), date(2026, 3, 2)]
    nepal = TimeRange(
        datetime(2026, 3, 1, 18, 15, tzinfo=UTC),
        datetime(2026, 3, 2, 18, 15, tzinfo=UTC),
        KATHMANDU,
    )
    assert nepal.local_days() == [date(2026, 3, 2)]
    # An end one microsecond into a local day touches that day.
    touching = TimeRange(window.start, window.end + timedelta(microseconds=1), SAO_PAULO)
    assert touching.local_days() == [date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)]
    # From 10:07 on the day Santiago's clocks went back (at 24:00 -03 on 2026-04-04, to 23:00
    # -04: a day of 25 hours) to 05:00 two days later: the first and last days clipped.
    santiago = parse_range("2026-04-04T10:07", "2026-04-06T05:00", SANTIAGO, NOW)
    assert santiago.local_days() == [date(2026, 4, 4), date(2026, 4, 5), date(2026, 4, 6)]
    edges = santiago.day_edges()
    assert [datetime.fromtimestamp(edge, UTC) for edge in edges] == [
        datetime(2026, 4, 4, 13, 7, tzinfo=UTC),
        datetime(2026, 4, 5, 4, 0, tzinfo=UTC),
        datetime(2026, 4, 6, 4, 0, tzinfo=UTC),
        datetime(2026, 4, 6, 9, 0, tzinfo=UTC),
    ]
    assert santiago.edges == [edges[0], edges[-1]]


@pytest.mark.parametrize("count", [1, 2, 89, 90])
def test_past_days_from_one_to_ninety_end_today_in_the_zone(count: int) -> None:
    window = past_days(count, KATHMANDU, NOW)
    assert window.zone == KATHMANDU and len(window.days) == count
    assert window.days[-1] == date(2026, 11, 23)  # Kathmandu's today, not UTC's
    assert window.days[0] == date(2026, 11, 23) - timedelta(days=count - 1)
    assert window.end == datetime(2026, 11, 23, 18, 15, tzinfo=UTC)


@pytest.mark.parametrize("count", [-1, 0, 91, 365])
def test_past_days_outside_one_to_ninety_are_bad_user_input(count: int) -> None:
    refused = refusal(past_days, count, KATHMANDU, NOW)
    assert refused.extensions == {"code": "BAD_USER_INPUT", "argument": "pastDays"}
    assert refused.message == "pastDays must be between 1 and 90"


def test_a_period_window_keeps_its_zone() -> None:
    window = DayWindow.ending_today(7, SANTIAGO, NOW)
    assert window.zone == SANTIAGO and window.days[-1] == date(2026, 11, 22)
    # Santiago is on summer time (-03:00) in November.
    assert window.start == datetime(2026, 11, 16, 3, 0, tzinfo=UTC)
    assert window.end == datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
    nepal = DayWindow.ending_today(1, KATHMANDU, NOW)
    assert nepal.days == (date(2026, 11, 23),)
    assert nepal.boundaries() == [
        int(datetime(2026, 11, 22, 18, 15, tzinfo=UTC).timestamp()),
        int(datetime(2026, 11, 23, 18, 15, tzinfo=UTC).timestamp()),
    ]


def test_unknown_timezones_name_the_argument_and_say_what_to_use() -> None:
    refused = refusal(parse_timezone, "Mars/Base")
    assert refused.extensions == {"code": "BAD_USER_INPUT", "argument": "timezone"}
    assert refused.message == (
        "unknown timezone 'Mars/Base': use an IANA name such as 'America/Sao_Paulo'"
    )
    disagree = refusal(parse_timezone, "UTC", "Asia/Kathmandu")
    assert disagree.extensions == {"code": "BAD_USER_INPUT", "argument": "timezone"}
    assert parse_timezone(None, None).key == "UTC"
    assert parse_timezone("Asia/Kathmandu", None).key == "Asia/Kathmandu"
