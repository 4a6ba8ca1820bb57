"""Stale-while-revalidate in the shared upstream client: an answer is fresh for the source's
cache_ttl_seconds, then served stale for stale_seconds while one refresh runs, or for
stale_if_error_seconds while the platform fails; the answer names each stale field's age."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from gateway.config.settings import Settings
from gateway.http.app import create_app
from gateway.testing.fakes import FAKE_KEYS, Fault, sources_toml
from tests.support.gateway import Answer, Gateway, World, fixed_clock, serve
from tests.support.parts import multipart_parts
from tests.support.platforms import Platforms

pytestmark = pytest.mark.parametrize("store", ["sqlite"], indirect=True)

FRESH = 0.4  # cache_ttl_seconds
STALE = 1.2  # stale_seconds
IF_ERROR = 2.4  # stale_if_error_seconds
SLOW = 1.0  # MessageSender's latency, where a test makes it slow

OVERVIEW = """{ sms { overview(startDate: "2025-03-25", endDate: "2025-04-24") {
  deliveryRate } } }"""


def options(stale: float, if_error: float) -> str:
    return f"""timeout_seconds = 3.0
retries = 0
cache_ttl_seconds = {FRESH}
stale_seconds = {stale}
stale_if_error_seconds = {if_error}"""


async def gateway_with(
    world: World, platforms: Platforms, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str
) -> AsyncIterator[Gateway]:
    path = tmp_path / "sources.toml"
    path.write_text(sources_toml(platforms.ports, tenant="acme", options=text))
    for name in ("ps", "ms", "er"):
        monkeypatch.setenv(f"FAKE_{name.upper()}_KEY", FAKE_KEYS[name])
    platforms.states["ms"].keys = {FAKE_KEYS["ms"]: "acme"}
    settings = Settings(
        store_url=world.store.url,
        demo=False,
        sources_file=path,
        cache_ttl_seconds=0,  # the response cache would hide the upstream client's
        rate_limit=0,
        request_deadline_seconds=5.0,
    )
    async for running in serve(create_app(settings, clock=fixed_clock)):
        yield running


@pytest.fixture
async def swr(
    world: World, platforms: Platforms, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Gateway]:
    async for running in gateway_with(
        world, platforms, tmp_path, monkeypatch, options(STALE, IF_ERROR)
    ):
        yield running


async def timed(ask: Callable[[], object]) -> tuple[Answer, float]:
    started = time.monotonic()
    answer = await ask()  # type: ignore[misc]
    assert isinstance(answer, Answer)
    return answer, time.monotonic() - started


async def eventually(check: Callable[[], bool], within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "never happened"
        await asyncio.sleep(0.02)


async def test_a_fresh_answer_is_kept_then_served_stale_while_one_refresh_runs(
    swr: Gateway, world: World, platforms: Platforms
) -> None:
    ms = platforms.states["ms"]
    key = world.keys["acme_tenant"]
    first = await swr.query(key, OVERVIEW)
    rate = first.data["sms"]["overview"]["deliveryRate"]
    assert len(ms.calls) == 1 and "extensions" not in first.body
    fresh = await swr.query(key, OVERVIEW)  # within cache_ttl_seconds: no call
    assert len(ms.calls) == 1 and fresh.body == first.body

    await asyncio.sleep(FRESH + 0.1)
    ms.latency = SLOW
    stale, took = await timed(lambda: swr.query(key, OVERVIEW))
    assert stale.data["sms"]["overview"]["deliveryRate"] == rate
    [named] = stale.body["extensions"]["stale"]
    assert named["path"] == ["sms", "overview"] and named["source"] == "ms"
    assert FRESH <= named["ageSeconds"] <= FRESH + STALE
    assert took < SLOW  # not waiting for the refresh, which the platform takes SLOW to answer
    assert stale.headers["cache-control"] == "no-store"

    # The one refresh lands; the next answer is fresh again, without another call.
    await eventually(lambda: len(ms.calls) == 2 and ms.in_flight == 0)
    await asyncio.sleep(0.05)
    again = await swr.query(key, OVERVIEW)
    assert "extensions" not in again.body
    assert len(ms.calls) == 2


async def test_one_refresh_runs_however_many_requests_find_the_answer_stale(
    swr: Gateway, world: World, platforms: Platforms
) -> None:
    ms = platforms.states["ms"]
    key = world.keys["acme_tenant"]
    await swr.query(key, OVERVIEW)
    await asyncio.sleep(FRESH + 0.1)
    ms.latency = SLOW
    answers = await asyncio.gather(*(swr.query(key, OVERVIEW) for _ in range(8)))
    assert all("stale" in a.body["extensions"] for a in answers)
    await eventually(lambda: ms.in_flight == 0 and len(ms.calls) >= 2)
    assert len(ms.calls) == 2  # the first answer, and one refresh


async def test_past_its_stale_window_an_answer_waits_for_the_platform(
    swr: Gateway, world: World, platforms: Platforms
) -> None:
    ms = platforms.states["ms"]
    key = world.keys["acme_tenant"]
    await swr.query(key, OVERVIEW)
    await asyncio.sleep(FRESH + STALE + 0.1)
    ms.latency = SLOW
    answer, took = await timed(lambda: swr.query(key, OVERVIEW))
    assert "extensions" not in answer.body
    assert took >= SLOW
    assert len(ms.calls) == 2


async def test_a_failing_platform_is_answered_stale_until_stale_if_error_runs_out(
    swr: Gateway, world: World, platforms: Platforms
) -> None:
    ms = platforms.states["ms"]
    key = world.keys["acme_tenant"]
    first = await swr.query(key, OVERVIEW)
    await asyncio.sleep(FRESH + STALE + 0.1)  # past stale_seconds, within stale_if_error
    ms.outage = Fault(status=500)
    stale = await swr.query(key, OVERVIEW)
    assert stale.codes == []
    assert stale.data == first.data
    [named] = stale.body["extensions"]["stale"]
    assert FRESH + STALE <= named["ageSeconds"] <= FRESH + IF_ERROR
    await asyncio.sleep(FRESH + IF_ERROR - (FRESH + STALE) + 0.1)  # past stale_if_error
    failed = await swr.query(key, OVERVIEW)
    assert failed.codes == ["UPSTREAM_ERROR"]


async def test_a_platform_refusing_the_question_is_not_answered_stale(
    swr: Gateway, world: World, platforms: Platforms
) -> None:
    ms = platforms.states["ms"]
    key = world.keys["acme_tenant"]
    await swr.query(key, OVERVIEW)
    await asyncio.sleep(FRESH + 0.1)
    ms.outage = Fault(status=400, error="Bad range")  # its answer, not a failure
    await swr.query(key, OVERVIEW)  # stale, while its refresh meets the 400
    await eventually(lambda: len(ms.calls) == 2 and ms.in_flight == 0)
    await asyncio.sleep(FRESH + STALE)
    refused = await swr.query(key, OVERVIEW)
    assert refused.codes == ["BAD_USER_INPUT"] and "extensions" not in refused.body


async def test_without_stale_settings_every_request_asks_the_platform(
    world: World, platforms: Platforms, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async for gateway in gateway_with(world, platforms, tmp_path, monkeypatch, options(0, 0)):
        key = world.keys["acme_tenant"]
        for _ in range(3):
            answer = await gateway.query(key, OVERVIEW)
            assert "extensions" not in answer.body
        assert len(platforms.states["ms"].calls) == 3


async def test_stale_fields_are_named_in_the_part_that_holds_them(
    swr: Gateway, world: World, platforms: Platforms
) -> None:
    key = world.keys["acme_tenant"]
    await swr.query(key, OVERVIEW)
    await asyncio.sleep(FRESH + 0.1)
    query = """{ viewer { tenantId } ... @defer { sms { overview(startDate: "2025-03-25",
      endDate: "2025-04-24") { deliveryRate } } } }"""
    first, last = await multipart_parts(swr, key, query)
    assert "extensions" not in first.body
    [named] = last.body["extensions"]["stale"]
    assert named["path"] == ["sms", "overview"]
