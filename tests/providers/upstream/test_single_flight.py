"""Identical upstream reads in flight at once, from different requests, share one call."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from gateway.config.settings import Settings
from gateway.errors import GatewayError
from gateway.http.app import create_app
from gateway.providers.flights import SingleFlight
from gateway.providers.upstream.http import DEADLINE, TOUCHED
from gateway.testing.fakes import FAKE_KEYS, FAKE_NUMBER, Fault, sources_toml
from tests.support.gateway import Gateway, World, fixed_clock, serve
from tests.support.platforms import FAST, Platforms

GLOBEX_NUMBER = "+4930955550177"
GLOBEX_KEY = "ps_fake_globex_key"
# The dashboard sources answer live (a TTL of 0): nothing but single flight can spare a call.
OPTIONS = FAST.replace("cache_ttl_seconds = 1.0", "cache_ttl_seconds = 0")
DASHBOARDS = "{ numbers { phoneNumber dashboard(period: DAYS_7) { totals { sent } } } }"


@pytest.fixture
async def live(
    world: World, platforms: Platforms, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Gateway]:
    """A gateway with the response cache on, whose tenants acme and globex each have a number
    at Pilot Status, with credentials of their own."""
    sources = sources_toml(platforms.ports, tenant="acme", options=OPTIONS)
    sources += f"""
[[tenants.globex.numbers]]
source = "ps"
phone = "{GLOBEX_NUMBER}"
key_env = "FAKE_PS_GLOBEX_KEY"
"""
    path = tmp_path / "sources.toml"
    path.write_text(sources)
    for name, secret in {
        "PS": FAKE_KEYS["ps"],
        "MS": FAKE_KEYS["ms"],
        "ER": FAKE_KEYS["er"],
    }.items():
        monkeypatch.setenv(f"FAKE_{name}_KEY", secret)
    monkeypatch.setenv("FAKE_PS_GLOBEX_KEY", GLOBEX_KEY)
    platforms.states["ps"].keys[GLOBEX_KEY] = GLOBEX_NUMBER
    platforms.states["ms"].keys = {FAKE_KEYS["ms"]: "acme"}
    platforms.states["er"].keys = {FAKE_KEYS["er"]: "acme"}
    settings = Settings(
        store_url=world.store.url,
        demo=False,
        sources_file=path,
        request_deadline_seconds=3.0,
        rate_limit=0,
    )
    async for running in serve(create_app(settings, clock=fixed_clock)):
        yield running


def dashboard_calls(platforms: Platforms) -> list[str]:
    return [query["period"] for path, query in platforms.states["ps"].calls if "dash" in path]


async def test_sixteen_first_requests_for_one_dashboard_make_one_upstream_call(
    live: Gateway, world: World, platforms: Platforms
) -> None:
    platforms.states["ps"].latency = 0.2
    answers = await asyncio.gather(
        *(live.query(world.keys["acme_tenant"], DASHBOARDS) for _ in range(16))
    )
    assert all(a.status == 200 and "errors" not in a.body for a in answers), answers[0].body
    assert len({str(a.body) for a in answers}) == 1
    assert dashboard_calls(platforms) == ["7d"]
    # The shared call touched Pilot Status for every request, so none kept its answer past the
    # source's TTL of 0: the next request asks again.
    again = await live.query(world.keys["acme_tenant"], DASHBOARDS)
    assert again.headers.get("x-cache") != "hit" and dashboard_calls(platforms) == ["7d"] * 2


async def test_tenants_never_share_a_call(
    live: Gateway, world: World, platforms: Platforms
) -> None:
    platforms.states["ps"].latency = 0.2
    keys = [world.keys["acme_tenant"], world.keys["globex_tenant"]] * 4
    answers = await asyncio.gather(*(live.query(key, DASHBOARDS) for key in keys))
    assert all("errors" not in a.body for a in answers), answers[0].body
    # One call per tenant, each with its own number's key.
    assert len(dashboard_calls(platforms)) == 2
    platforms.states["ps"].latency = 0.0
    for key, answer in zip(keys, answers, strict=True):
        assert answer.body == (await live.query(key, DASHBOARDS)).body
    phones = [{n["phoneNumber"] for n in a.data["numbers"]} for a in answers[:2]]
    assert FAKE_NUMBER in phones[0] - phones[1] and GLOBEX_NUMBER in phones[1] - phones[0]


async def test_an_upstream_failure_is_shared_and_retried_once(
    live: Gateway, world: World, platforms: Platforms
) -> None:
    state = platforms.states["ps"]
    state.latency = 0.1
    state.outage = Fault(status=503, error="down for maintenance")
    answers = await asyncio.gather(
        *(live.query(world.keys["acme_tenant"], DASHBOARDS) for _ in range(8))
    )
    codes = {tuple(a.codes) for a in answers}
    assert codes == {("UPSTREAM_ERROR",)}, codes
    # The first attempt and its two retries, for all eight requests together.
    assert len(dashboard_calls(platforms)) == 3


Answers = list[str | GatewayError]


class Upstream:
    """A batch call that answers when told to, counting how often it was made."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.release = asyncio.Event()
        self.cancelled = False

    async def load(self, keys: Sequence[str]) -> Answers:
        self.calls.append(list(keys))
        try:
            await self.release.wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        return [f"answer to {key}" for key in keys]


async def test_a_cancelled_first_caller_leaves_the_call_to_the_others() -> None:
    flights, upstream = SingleFlight(), Upstream()
    first = asyncio.create_task(flights.call("ps", "dashboards", ["a"], upstream.load))
    await asyncio.sleep(0)
    second = asyncio.create_task(flights.call("ps", "dashboards", ["a", "b"], upstream.load))
    await asyncio.sleep(0)
    first.cancel()
    await asyncio.sleep(0.01)
    upstream.release.set()
    assert await second == ["answer to a", "answer to b"]
    assert first.cancelled() and not upstream.cancelled
    # "a" was in flight already: the second request asked only for "b".
    assert upstream.calls == [["a"], ["b"]]


async def test_a_call_nobody_waits_for_is_cancelled_and_not_joined() -> None:
    flights, upstream = SingleFlight(), Upstream()
    only = asyncio.create_task(flights.call("ps", "dashboards", ["a"], upstream.load))
    await asyncio.sleep(0)
    only.cancel()
    later = asyncio.create_task(flights.call("ps", "dashboards", ["a"], upstream.load))
    await asyncio.sleep(0.01)
    assert upstream.cancelled
    upstream.release.set()
    assert await later == ["answer to a"] and len(upstream.calls) == 2


async def test_a_joiner_waits_no_longer_than_its_own_deadline() -> None:
    flights, upstream = SingleFlight(), Upstream()
    first = asyncio.create_task(flights.call("ps", "dashboards", ["a"], upstream.load))
    await asyncio.sleep(0)

    async def hurried() -> list[object]:
        DEADLINE.set(time.monotonic() + 0.05)
        return await flights.call("ps", "dashboards", ["a"], upstream.load)

    answer = await hurried()
    assert isinstance(answer[0], GatewayError) and answer[0].code == "UPSTREAM_TIMEOUT"
    upstream.release.set()
    assert await first == ["answer to a"] and len(upstream.calls) == 1


async def test_errors_and_touched_sources_reach_every_caller() -> None:
    flights = SingleFlight()
    gate = asyncio.Event()

    async def failing(keys: Sequence[str]) -> Answers:
        touched = TOUCHED.get()
        assert touched is not None
        touched.add("ps")
        await gate.wait()
        raise GatewayError("the platform said no")

    async def caller() -> tuple[list[object], set[str]]:
        TOUCHED.set(set())
        answers = await flights.call("ps", "dashboards", ["a"], failing)
        return answers, TOUCHED.get() or set()

    callers = [asyncio.create_task(caller()) for _ in range(3)]
    await asyncio.sleep(0.01)
    gate.set()
    for answers, touched in await asyncio.gather(*callers):
        assert isinstance(answers[0], GatewayError) and touched == {"ps"}
