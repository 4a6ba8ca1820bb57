"""Sums over consecutive intervals, whole 15-minute buckets and the slivers at their edges: each
answer equals counting the messages themselves, per group and per interval."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from gateway.domain.messages import MessageStatus
from gateway.domain.timewindows import TimeRange
from gateway.providers.native.intervals import Rollup, sum_intervals
from tests.support.gateway import World

# What the WhatsApp reports fold: messages per final status, test sends left out.
ROLLUP = Rollup(
    buckets="message_buckets",
    bucket_sums=("queued", "sent", "failed", "delivered", "read"),
    where="number_id IN (?, ?, ?)",
    group="number_id",
    rows="messages",
    row_sums=tuple(f"CASE WHEN status = {s} THEN 1 ELSE 0 END" for s in range(5)),
    row_where="is_test = 0",
)
ONE_NUMBER = Rollup(
    buckets=ROLLUP.buckets,
    bucket_sums=ROLLUP.bucket_sums,
    where="number_id = ?",
    rows=ROLLUP.rows,
    row_sums=ROLLUP.row_sums,
    row_where=ROLLUP.row_where,
)

Sent = tuple[str, datetime, MessageStatus]


async def send_all(world: World, messages: Sequence[Sent], *, tests: Sequence[Sent] = ()) -> None:
    for i, (number, at, status) in enumerate(messages):
        await world.send(number, f"m{i}", at, status)
    for i, (number, at, status) in enumerate(tests):
        await world.send(number, f"t{i}", at, status, is_test=True)


def counted(messages: Sequence[Sent], number: str, edges: Sequence[int]) -> list[tuple[int, ...]]:
    """The sums by hand: each interval's messages of the number, by final status."""
    series = []
    for lo, hi in itertools.pairwise(edges):
        sums = [0] * 5
        for sender, at, status in messages:
            if sender == number and lo <= at.timestamp() < hi:
                sums[status] += 1
        series.append(tuple(sums))
    return series


def at(hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(2026, 11, 20, hour, minute, second, tzinfo=UTC)


def seconds(*moments: datetime) -> list[int]:
    return [int(moment.timestamp()) for moment in moments]


async def test_a_range_starting_at_10_07_counts_its_slivers_exactly(world: World) -> None:
    # The module's own example: from 10:07 to 12:10, the buckets 10:15..12:00 whole, and the
    # slivers 10:07-10:15 and 12:00-12:10 from the messages themselves.
    messages: list[Sent] = [
        ("sales", at(10, 6, 59), MessageStatus.DELIVERED),  # before the range
        ("sales", at(10, 7), MessageStatus.DELIVERED),  # its first instant
        ("sales", at(10, 14, 59), MessageStatus.FAILED),  # the first sliver's last second
        ("sales", at(10, 15), MessageStatus.READ),  # the first whole bucket
        ("sales", at(11, 59, 59), MessageStatus.SENT),  # the last whole bucket
        ("sales", at(12, 0), MessageStatus.QUEUED),  # the last sliver
        ("sales", at(12, 9, 59), MessageStatus.DELIVERED),
        ("sales", at(12, 10), MessageStatus.DELIVERED),  # the end, excluded
    ]
    # Test sends in the slivers and in a whole bucket are left out.
    tests: list[Sent] = [
        ("sales", at(10, 8), MessageStatus.DELIVERED),
        ("sales", at(11, 0), MessageStatus.DELIVERED),
        ("sales", at(12, 5), MessageStatus.DELIVERED),
    ]
    await send_all(world, messages, tests=tests)
    edges = seconds(at(10, 7), at(12, 10))
    sums = await sum_intervals(world.store, ONE_NUMBER, [world.numbers["sales"]], edges)
    assert sums == {0: [(1, 1, 1, 2, 1)]}
    assert sums[0] == counted(messages, "sales", edges)
    # The slivers alone, and a range inside one bucket.
    first_sliver = seconds(at(10, 7), at(10, 15))
    assert await sum_intervals(world.store, ONE_NUMBER, [world.numbers["sales"]], first_sliver) == {
        0: [(0, 0, 1, 1, 0)]
    }
    inside = seconds(at(12, 1), at(12, 9, 59))
    assert await sum_intervals(world.store, ONE_NUMBER, [world.numbers["sales"]], inside) == {}


async def test_slivers_land_in_their_own_interval_and_group(world: World) -> None:
    # Intervals cut anywhere: one inside a bucket, one with slivers at both ends around a
    # whole bucket, one ending off the grid; two numbers answered apart, a third with nothing.
    edges = seconds(at(10, 7), at(10, 20), at(10, 50), at(11, 3))
    messages: list[Sent] = [
        ("sales", at(10, 10), MessageStatus.DELIVERED),  # interval 0
        ("support", at(10, 19, 59), MessageStatus.FAILED),  # interval 0
        ("sales", at(10, 20), MessageStatus.READ),  # interval 1, its first sliver
        ("support", at(10, 29), MessageStatus.SENT),  # interval 1, its first sliver
        ("sales", at(10, 30), MessageStatus.QUEUED),  # interval 1, the whole bucket
        ("support", at(10, 44), MessageStatus.DELIVERED),  # interval 1, the whole bucket
        ("support", at(10, 45), MessageStatus.READ),  # interval 1, its last sliver
        ("sales", at(10, 49, 59), MessageStatus.FAILED),  # interval 1, its last sliver
        ("sales", at(10, 50), MessageStatus.SENT),  # interval 2
        ("support", at(11, 2, 59), MessageStatus.QUEUED),  # interval 2
        ("sales", at(11, 3), MessageStatus.DELIVERED),  # after the last
    ]
    await send_all(world, messages)
    ids = [world.numbers["sales"], world.numbers["support"], world.numbers["main"]]
    sums = await sum_intervals(world.store, ROLLUP, ids, edges)
    assert sums[world.numbers["sales"]] == counted(messages, "sales", edges)
    assert sums[world.numbers["support"]] == counted(messages, "support", edges)
    assert sums[world.numbers["sales"]] == [(0, 0, 0, 1, 0), (1, 0, 1, 0, 1), (0, 1, 0, 0, 0)]
    assert sums.get(world.numbers["main"], [(0,) * 5] * 3) == [(0,) * 5] * 3


async def test_local_days_with_a_dst_change_and_partial_ends_count_every_message(
    world: World,
) -> None:
    # Santiago went back an hour at 24:00 -03 on 2026-04-04 (a day of 25 hours). A range from
    # 10:07 that day to 05:05 two days later: a sliver at each edge, the change in between.
    zone = ZoneInfo("America/Santiago")
    start = datetime(2026, 4, 4, 10, 7, tzinfo=zone)
    window = TimeRange(
        start.astimezone(UTC), datetime(2026, 4, 6, 5, 5, tzinfo=zone).astimezone(UTC), zone
    )
    edges = window.day_edges()
    assert len(edges) == 4
    moments = [
        start - timedelta(seconds=1),  # before
        start,
        start + timedelta(minutes=7, seconds=59),  # the first sliver's end (10:14:59)
        datetime(2026, 4, 4, 23, 59, tzinfo=zone),  # the 25th hour's neighbours
        datetime(2026, 4, 5, 0, 0, tzinfo=zone),
        datetime(2026, 4, 6, 5, 0, tzinfo=zone),  # the last sliver
        datetime(2026, 4, 6, 5, 4, 59, tzinfo=zone),
        datetime(2026, 4, 6, 5, 5, tzinfo=zone),  # the end, excluded
    ]
    statuses = list(MessageStatus)
    messages: list[Sent] = [
        ("sales" if i % 2 else "support", moment.astimezone(UTC), statuses[i % 5])
        for i, moment in enumerate(moments)
    ]
    await send_all(world, messages)
    ids = [world.numbers["sales"], world.numbers["support"], world.numbers["main"]]
    sums = await sum_intervals(world.store, ROLLUP, ids, edges)
    for number in ("sales", "support"):
        expected = counted(messages, number, edges)
        assert sums.get(world.numbers[number], [(0,) * 5] * 3) == expected
    total = sum(sum(day) for series in sums.values() for day in series)
    assert total == 6
