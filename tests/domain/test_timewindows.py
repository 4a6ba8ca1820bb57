from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from gateway.domain.timewindows import (
    DayWindow,
    Period,
    last_local_days,
    local_day_start,
    parse_timezone,
)
from gateway.errors import BadUserInput
from tests.support.production import is_bucket_aligned


def hours(window: DayWindow) -> list[float]:
    edges = window.boundaries()
    return [(b - a) / 3600 for a, b in itertools.pairwise(edges)]


def test_berlin_spring_forward_day_has_23_hours() -> None:
    window = DayWindow.from_dates(date(2024, 3, 30), date(2024, 4, 1), ZoneInfo("Europe/Berlin"))
    assert hours(window) == [24, 23, 24]
    assert local_day_start(date(2024, 3, 31), ZoneInfo("Europe/Berlin")) == datetime(
        2024, 3, 30, 23, 0, tzinfo=UTC
    )


def test_berlin_fall_back_day_has_25_hours() -> None:
    window = DayWindow.from_dates(date(2024, 10, 26), date(2024, 10, 28), ZoneInfo("Europe/Berlin"))
    assert hours(window) == [24, 25, 24]


def test_sao_paulo_dst_start_at_midnight_begins_the_day_at_one() -> None:
    # 2018-11-04: clocks jumped from 00:00 to 01:00, so the day began at 01:00 -02 = 03:00 UTC.
    zone = ZoneInfo("America/Sao_Paulo")
    assert local_day_start(date(2018, 11, 4), zone) == datetime(2018, 11, 4, 3, 0, tzinfo=UTC)
    assert hours(DayWindow.from_dates(date(2018, 11, 3), date(2018, 11, 5), zone)) == [24, 23, 24]


def test_sao_paulo_dst_end_repeats_the_last_hour_of_saturday() -> None:
    # 2019-02-17 00:00 -02 went back to 2019-02-16 23:00 -03: Saturday had 25 hours.
    zone = ZoneInfo("America/Sao_Paulo")
    window = DayWindow.from_dates(date(2019, 2, 15), date(2019, 2, 17), zone)
    assert hours(window) == [24, 25, 24]
    assert local_day_start(date(2019, 2, 17), zone) == datetime(2019, 2, 17, 3, 0, tzinfo=UTC)


def test_sao_paulo_has_no_dst_since_2019() -> None:
    zone = ZoneInfo("America/Sao_Paulo")
    window = DayWindow.from_dates(date(2025, 1, 1), date(2025, 12, 31), zone)
    assert set(hours(window)) == {24}


def test_kolkata_days_start_at_half_past_six_utc() -> None:
    zone = ZoneInfo("Asia/Kolkata")
    assert local_day_start(date(2026, 5, 1), zone) == datetime(2026, 4, 30, 18, 30, tzinfo=UTC)
    assert is_bucket_aligned(DayWindow.from_dates(date(2026, 5, 1), date(2026, 5, 3), zone))


def test_kathmandu_days_start_at_quarter_past_six_utc_and_fit_the_buckets() -> None:
    zone = ZoneInfo("Asia/Kathmandu")
    assert local_day_start(date(2026, 5, 1), zone) == datetime(2026, 4, 30, 18, 15, tzinfo=UTC)
    assert is_bucket_aligned(DayWindow.from_dates(date(2026, 5, 1), date(2026, 5, 3), zone))


def test_local_mean_time_days_do_not_fit_the_buckets() -> None:
    # Kolkata was +05:53:28 in 1900: such windows fall back to exact per-message counting.
    zone = ZoneInfo("Asia/Kolkata")
    assert not is_bucket_aligned(DayWindow.from_dates(date(1900, 1, 1), date(1900, 1, 2), zone))


def test_last_local_days_end_today_in_the_zone() -> None:
    now = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)
    assert last_local_days(3, ZoneInfo("UTC"), now) == [
        date(2026, 11, 20),
        date(2026, 11, 21),
        date(2026, 11, 22),
    ]
    # Already Monday in Kathmandu.
    assert last_local_days(1, ZoneInfo("Asia/Kathmandu"), now) == [date(2026, 11, 23)]
    # Still the 22nd in Sao Paulo (20:30).
    assert last_local_days(1, ZoneInfo("America/Sao_Paulo"), now) == [date(2026, 11, 22)]


@pytest.mark.parametrize(
    ("period", "days"), [(Period.DAYS_7, 7), (Period.DAYS_30, 30), (Period.DAYS_90, 90)]
)
def test_periods_count_days(period: Period, days: int) -> None:
    assert period.days == days
    window = DayWindow.ending_today(period.days, ZoneInfo("UTC"), datetime(2026, 1, 5, tzinfo=UTC))
    assert len(window.days) == days and window.days[-1] == date(2026, 1, 5)


def test_timezone_defaults_to_utc_and_accepts_tz_alias() -> None:
    assert parse_timezone().key == "UTC"
    assert parse_timezone(tz="Asia/Kathmandu").key == "Asia/Kathmandu"
    assert parse_timezone("Europe/Berlin", "Europe/Berlin").key == "Europe/Berlin"


@pytest.mark.parametrize(
    "name",
    [
        *("Mars/Base", "", " UTC", "../../etc/passwd", "a" * 300, "Europe/Berlin\x00"),
        # Files of the zone database that name no zone: the server's own, templates, copies.
        *("localtime", "posixrules", "Factory", "right/UTC", "posix/Europe/Berlin"),
    ],
)
def test_unknown_timezones_are_bad_user_input(name: str) -> None:
    with pytest.raises(BadUserInput) as caught:
        parse_timezone(name)
    assert caught.value.extensions["code"] == "BAD_USER_INPUT"


def test_canonical_names_and_links_are_zones() -> None:
    for name in ("America/Sao_Paulo", "Asia/Calcutta", "US/Eastern", "UTC", "Etc/GMT+3"):
        assert parse_timezone(name).key == name


def test_disagreeing_timezone_and_tz_are_bad_user_input() -> None:
    with pytest.raises(BadUserInput, match="disagree"):
        parse_timezone("UTC", "Europe/Berlin")
