"""Late, duplicate and out-of-order events: the final status only rises, rollups follow it."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gateway.domain.messages import MessageStatus, OutboundMessage, StatusUpdate
from gateway.domain.numbers import DashboardRequest, NumberDashboard, NumberRef
from gateway.domain.timewindows import Period, local_day_start
from gateway.providers.native import NativeProvider, Store
from gateway.providers.native.ingest import record_messages
from tests.support.gateway import World
from tests.support.production import record_statuses

S = MessageStatus
T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


async def dashboard(
    world: World,
    number: str = "sales",
    zone: str = "UTC",
    today: date = date(2026, 11, 22),
    period: Period = Period.DAYS_7,
) -> NumberDashboard:
    tenant = "globex" if number == "main" else "acme"
    request = DashboardRequest(
        number=NumberRef(source="native", tenant_id=tenant, number_id=world.numbers[number]),
        period=period,
        timezone=zone,
        today=today,
    )
    [answer] = await NativeProvider(world.store).load_dashboards([request])
    assert isinstance(answer, NumberDashboard)
    return answer


def status_update(external_id: str, status: MessageStatus, tenant: str = "acme") -> StatusUpdate:
    return StatusUpdate(tenant_id=tenant, external_id=external_id, status=status)


async def test_statuses_in_any_order_end_at_the_highest(world: World) -> None:
    await world.send("sales", "m1", T0, S.QUEUED)
    await record_statuses(world.store, [status_update("m1", S.READ)])
    await record_statuses(
        world.store,
        [
            status_update("m1", S.DELIVERED),
            status_update("m1", S.SENT),
            status_update("m1", S.FAILED),
        ],
    )
    totals = (await dashboard(world)).totals
    assert (totals.total, totals.sent, totals.delivered, totals.read, totals.failed) == (
        1,
        1,
        1,
        1,
        0,
    )


async def test_failure_after_sent_counts_as_failed(world: World) -> None:
    await world.send("sales", "m1", T0, S.SENT)
    await record_statuses(world.store, [status_update("m1", S.FAILED)])
    totals = (await dashboard(world)).totals
    assert (totals.total, totals.sent, totals.failed, totals.delivered) == (1, 0, 1, 0)


async def test_duplicate_events_count_once(world: World) -> None:
    await world.send("sales", "m1", T0, S.SENT)
    await world.send("sales", "m1", T0, S.SENT)
    for _ in range(3):
        await record_statuses(world.store, [status_update("m1", S.DELIVERED)] * 2)
    totals = (await dashboard(world)).totals
    assert (totals.total, totals.sent, totals.delivered) == (1, 1, 1)


async def test_a_status_before_its_message_waits_for_it(world: World) -> None:
    waiting = await record_statuses(world.store, [status_update("early", S.DELIVERED)])
    assert waiting == 1
    assert (await dashboard(world)).totals.total == 0
    await world.send("sales", "early", T0, S.SENT)
    totals = (await dashboard(world)).totals
    assert (totals.total, totals.delivered) == (1, 1)
    rows = await world.store.fetch_all("SELECT * FROM pending_statuses")
    assert rows == []


async def test_a_late_status_lands_in_the_bucket_of_the_send_time(world: World) -> None:
    sent_at = datetime(2026, 11, 16, 23, 59, tzinfo=UTC)
    await world.send("sales", "old", sent_at, S.SENT)
    await record_statuses(world.store, [status_update("old", S.READ)])
    series = (await dashboard(world)).series
    assert [p.day for p in series if p.counts.read] == [date(2026, 11, 16)]


async def test_test_sends_are_not_counted(world: World) -> None:
    await world.send("sales", "t1", T0, S.DELIVERED, is_test=True)
    await record_statuses(world.store, [status_update("t1", S.READ)])
    assert (await dashboard(world)).totals.total == 0


async def test_same_message_id_in_two_tenants_are_two_messages(world: World) -> None:
    await world.send("sales", "same", T0, S.SENT)
    await world.send("main", "same", T0, S.SENT)
    await record_statuses(world.store, [status_update("same", S.FAILED, tenant="globex")])
    assert (await dashboard(world, "sales")).totals.failed == 0
    assert (await dashboard(world, "main")).totals.failed == 1


async def test_every_day_is_present_with_zeros(world: World) -> None:
    board = await dashboard(world, period=Period.DAYS_30)
    assert len(board.series) == 30
    assert board.series[0].day == date(2026, 10, 24) and board.series[-1].day == date(2026, 11, 22)
    assert all(p.counts.total == 0 for p in board.series)


@pytest.mark.parametrize(
    "zone",
    [
        "UTC",
        "America/Sao_Paulo",
        "Europe/Berlin",
        "Asia/Kathmandu",
        "Asia/Kolkata",
        "Pacific/Chatham",
    ],
)
async def test_rollups_agree_with_counting_every_message(world: World, zone: str) -> None:
    """Random traffic with shuffled, repeated and early status events, checked by brute force."""
    rng = random.Random(zone)
    today = date(2024, 10, 30)  # Berlin's autumn DST change (Oct 27) is inside the window
    start = datetime(2024, 10, 18, tzinfo=UTC)
    messages, events, final = [], [], {}
    for i in range(1500):
        sent_at = start + timedelta(seconds=rng.randrange(14 * 86400))
        status = S(rng.choice([0, 1, 1, 2, 3]))
        is_test = rng.random() < 0.03
        messages.append(
            OutboundMessage(
                tenant_id="acme",
                number_id=world.numbers["sales"],
                external_id=f"m{i}",
                sent_at=sent_at,
                status=status,
                is_test=is_test,
            )
        )
        later = [S(rng.randrange(5)) for _ in range(rng.randrange(4))]
        events += [status_update(f"m{i}", s) for s in later]
        final[f"m{i}"] = (sent_at, max([status, *later]), is_test)
    rng.shuffle(events)
    # Some events arrive before their messages, the rest after, in batches.
    await record_statuses(world.store, events[:300])
    for chunk in range(0, len(messages), 400):
        await record_messages(world.store, messages[chunk : chunk + 400])
    await record_statuses(world.store, events[300:])
    await record_messages(world.store, messages[:100])  # replayed

    board = await dashboard(world, zone=zone, today=today, period=Period.DAYS_7)
    tz = ZoneInfo(zone)
    for point in board.series:
        lo = local_day_start(point.day, tz)
        hi = local_day_start(point.day + timedelta(days=1), tz)
        expected = Counter(s for t, s, test in final.values() if lo <= t < hi and not test)
        got = point.counts
        assert (got.queued, got.sent_only, got.failed, got.delivered_only, got.read) == tuple(
            expected[s] for s in S
        ), point.day


async def test_kathmandu_day_boundary_is_quarter_past_six_utc(world: World) -> None:
    await world.send("sales", "before", datetime(2026, 11, 21, 18, 14, 59, tzinfo=UTC))
    await world.send("sales", "after", datetime(2026, 11, 21, 18, 15, tzinfo=UTC))
    series = (await dashboard(world, zone="Asia/Kathmandu")).series
    by_day = {p.day: p.counts.total for p in series if p.counts.total}
    assert by_day == {date(2026, 11, 21): 1, date(2026, 11, 22): 1}


async def test_berlin_fall_back_day_counts_its_25_hours(world: World) -> None:
    # 2024-10-27 in Berlin runs from 2024-10-26 22:00 UTC to 2024-10-27 23:00 UTC.
    for i, instant in enumerate(
        [
            datetime(2024, 10, 26, 21, 59, tzinfo=UTC),
            datetime(2024, 10, 26, 22, 0, tzinfo=UTC),
            datetime(2024, 10, 27, 0, 30, tzinfo=UTC),
            datetime(2024, 10, 27, 1, 30, tzinfo=UTC),
            datetime(2024, 10, 27, 22, 59, tzinfo=UTC),
            datetime(2024, 10, 27, 23, 0, tzinfo=UTC),
        ]
    ):
        await world.send("sales", f"b{i}", instant)
    series = (await dashboard(world, zone="Europe/Berlin", today=date(2024, 10, 28))).series
    by_day = {p.day: p.counts.total for p in series if p.counts.total}
    assert by_day == {date(2024, 10, 26): 1, date(2024, 10, 27): 4, date(2024, 10, 28): 1}


async def test_unaligned_historic_zone_counts_exactly(world: World, store: Store) -> None:
    # Liberia kept -00:44:30 until 1972: its days began at 00:44:30 UTC, off the 15-minute grid.
    await world.send("sales", "a", datetime(1971, 6, 2, 0, 44, 29, tzinfo=UTC))
    await world.send("sales", "b", datetime(1971, 6, 2, 0, 44, 30, tzinfo=UTC))
    series = (await dashboard(world, zone="Africa/Monrovia", today=date(1971, 6, 2))).series
    assert [p.counts.total for p in series[-2:]] == [1, 1]
