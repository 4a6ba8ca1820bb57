"""Upstream failures answered on the fast path, where a known document runs by its execution
plan, are byte for byte the stock path's answers: the plan hands any error back to the
executor, which reads what the plan's resolvers already asked for."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from gateway.config.settings import Settings
from gateway.http.app import create_app
from gateway.testing.fakes import FAKE_KEYS, Fault, sources_toml
from tests.support.gateway import Gateway, World, fixed_clock, serve
from tests.support.platforms import FAST, Platforms

QUERY = """{ viewer { tenantId } sms { overview { messages { total deliveryRate } } }
  email { overall(pastDays: 7) { sent } } }"""


@pytest.fixture
async def stock(
    world: World, platforms: Platforms, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Gateway]:
    """The same gateway as `upstream`, with every fast path off."""
    path = tmp_path / "stock-sources.toml"
    path.write_text(sources_toml(platforms.ports, tenant="acme", options=FAST))
    settings = Settings(
        store_url=world.store.url,
        demo=False,
        sources_file=path,
        request_deadline_seconds=3.0,
        fast_path=False,
    )
    async for running in serve(create_app(settings, clock=fixed_clock)):
        yield running


def handed_back() -> float:
    sampled = REGISTRY.get_sample_value(
        "gateway_graphql_execution_plans_total", {"outcome": "handed_back"}
    )
    return sampled or 0.0


@pytest.mark.parametrize(
    "fault",
    [
        Fault(status=400, error="bad window", code="BAD_REQUEST"),
        Fault(status=402, error="no credits left"),
        Fault(status=404, error="gone"),
        Fault(malformed=True),
    ],
    ids=["400", "402", "404", "malformed"],
)
async def test_an_upstream_failure_reads_the_same_on_the_plan(
    upstream: Gateway, stock: Gateway, world: World, platforms: Platforms, fault: Fault
) -> None:
    key = world.keys["acme_tenant"]
    assert FAKE_KEYS["ms"] in platforms.states["ms"].keys
    whole = await upstream.query(key, QUERY)  # kept by its first answer: planned from now on
    assert "errors" not in whole.body
    answers = []
    before = handed_back()
    for gateway in (upstream, stock):
        platforms.states["ms"].faults.append(fault)
        async with gateway.session.post(
            gateway.url, json={"query": QUERY}, headers={"x-api-key": key}
        ) as response:
            answers.append((response.status, await response.read()))
    assert answers[0] == answers[1]
    assert b'"errors"' in answers[0][1] and b'"tenantId"' in answers[0][1]
    assert handed_back() - before == 1  # the fast side's plan met the error and handed it back
