"""Time a call spends queueing for one of its source's connections counts against the
request's deadline: twenty numbers at a hung Pilot Status, eight at a time, are all answered
UPSTREAM_TIMEOUT within the deadline, not a call's timeout after it."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from gateway.config.settings import Settings
from gateway.http.app import create_app
from gateway.testing.fakes import FakeState, pilotstatus_app
from tests.support.gateway import Gateway, World, fixed_clock, serve

DEADLINE = 3.0
NUMBERS = [f"+55119777700{i:02d}" for i in range(20)]


@pytest.fixture
async def hung(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Gateway]:
    state = FakeState(keys={f"ps_{phone}": phone for phone in NUMBERS}, latency=30.0)
    platform = TestServer(pilotstatus_app(state), host="127.0.0.1")
    await platform.start_server()
    sources = f"""[sources.ps]
platform = "pilotstatus"
base_url = "http://127.0.0.1:{platform.port}"
timeout_seconds = 2.5
max_concurrency = 8
retries = 2
backoff_seconds = 0.05
"""
    for i, phone in enumerate(NUMBERS):
        monkeypatch.setenv(f"HUNG_KEY_{i}", f"ps_{phone}")
        sources += f'\n[[tenants.acme.numbers]]\nsource = "ps"\nphone = "{phone}"\n'
        sources += f'key_env = "HUNG_KEY_{i}"\n'
    (tmp_path / "sources.toml").write_text(sources)
    settings = Settings(
        store_url=world.store.url,
        demo=False,
        sources_file=tmp_path / "sources.toml",
        request_deadline_seconds=DEADLINE,
    )
    async for running in serve(create_app(settings, clock=fixed_clock)):
        yield running
    await platform.close()


async def test_twenty_numbers_at_a_hung_source_finish_within_the_deadline(
    hung: Gateway, world: World
) -> None:
    started = time.monotonic()
    answer = await hung.query(
        world.keys["acme_tenant"],
        "{ numbers { phoneNumber dashboard(period: DAYS_7) { totals { total } } } }",
    )
    took = time.monotonic() - started
    assert took < DEADLINE + 0.5, took
    errors = answer.body["errors"]
    assert len(errors) == 20
    assert {(e["extensions"]["code"], e["extensions"]["source"]) for e in errors} == {
        ("UPSTREAM_TIMEOUT", "ps")
    }
    assert sum(n["dashboard"] is not None for n in answer.data["numbers"]) == 2  # native ones
