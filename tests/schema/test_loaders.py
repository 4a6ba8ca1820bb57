"""Dashboards of many numbers in one query make one batched provider call."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from gateway.domain.numbers import DashboardRequest, NumberDashboard
from gateway.errors import GatewayError
from gateway.http.app import STORE
from gateway.providers.native import NativeProvider
from gateway.providers.native.tenancy import Tenancy
from tests.support.gateway import Gateway, World


async def test_all_numbers_dashboards_make_one_store_call(
    gateway: Gateway, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenancy = Tenancy(world.store)
    for i in range(10):
        await tenancy.add_number("acme", f"+55119000001{i:02}")
        await world.send("sales", f"m{i}", datetime(2026, 11, 22, 10, tzinfo=UTC))
    calls: list[list[int]] = []
    original = NativeProvider.load_dashboards

    async def observed(
        self: NativeProvider, requests: Sequence[DashboardRequest]
    ) -> list[NumberDashboard | GatewayError]:
        calls.append([r.number.number_id for r in requests])
        return await original(self, requests)

    monkeypatch.setattr(NativeProvider, "load_dashboards", observed)
    reads_before = _reads(gateway)
    answer = await gateway.query(
        world.keys["acme_tenant"],
        "{ numbers { phoneNumber week: dashboard(period: DAYS_7) { totals { total } }"
        " again: dashboard(period: DAYS_7) { totals { total } } } }",
    )
    assert "errors" not in answer.body
    assert len(answer.data["numbers"]) == 12
    assert answer.data["numbers"][0]["week"]["totals"]["total"] == 10
    # One call with each number once: the repeated field was de-duplicated by the loader.
    assert len(calls) == 1 and sorted(calls[0]) == sorted(set(calls[0])) and len(calls[0]) == 12
    # The key (first use), the tenant's count of numbers (which prices the list before it
    # runs, kept while the tenant's data stands), the list of numbers, and all twelve
    # dashboards: four reads in all.
    assert _reads(gateway) - reads_before == 4


async def test_different_windows_in_one_query_batch_together(
    gateway: Gateway, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[list[tuple[int, str, str]]] = []
    original = NativeProvider.load_dashboards

    async def observed(
        self: NativeProvider, requests: Sequence[DashboardRequest]
    ) -> list[NumberDashboard | GatewayError]:
        calls.append([(r.number.number_id, r.period.value, r.timezone) for r in requests])
        return await original(self, requests)

    monkeypatch.setattr(NativeProvider, "load_dashboards", observed)
    answer = await gateway.query(
        world.keys["acme_tenant"],
        '{ numbers { a: dashboard(period: DAYS_7) { period } b: dashboard(tz: "Asia/Kolkata")'
        " { timezone } } }",
    )
    numbers = answer.data["numbers"]
    assert len(numbers) > 1 and numbers[0] == {
        "a": {"period": "DAYS_7"},
        "b": {"timezone": "Asia/Kolkata"},
    }
    # Both windows of every number in one provider call.
    assert len(calls) == 1 and len(set(calls[0])) == len(calls[0]) == 2 * len(numbers)
    assert {(period, zone) for _, period, zone in calls[0]} == {
        ("7d", "UTC"),
        ("30d", "Asia/Kolkata"),
    }


def _reads(gateway: Gateway) -> int:
    app = gateway.server.app
    assert app is not None
    return app[STORE].read_count
