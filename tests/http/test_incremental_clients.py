"""Real clients read the gateway's answers in parts: Apollo Client's @defer over multipart/mixed
and graphql-sse's client over server-sent events each hand the application the first part
before the slow platform has answered, then the whole."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.interop import HERE, install
from tests.support.gateway import World
from tests.support.parts import Upstreams, upstreams

pytestmark = pytest.mark.parametrize("store", ["sqlite"], indirect=True)

SLOW = 2.0  # seconds MessageSender takes to answer

DASHBOARD = """query Dashboard {
  numbersConnection(first: 2) { edges { node { phoneNumber } } }
  email { overall(pastDays: 30) { sent } }
  ... @defer(label: "sms") {
    sms { overview(startDate: "2025-03-25", endDate: "2025-04-24") { deliveryRate } }
  }
}"""


@pytest.fixture(scope="session")
def interop() -> Path:
    return install()


@pytest.fixture
async def slow(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Upstreams]:
    async for running in upstreams(world, tmp_path, monkeypatch):
        running.states["ms"].latency = SLOW
        yield running


async def lines(script: str, *args: str) -> list[dict[str, Any]]:
    """What one of tests/interop's scripts printed, a JSON object a line."""
    process = await asyncio.create_subprocess_exec(
        "node", script, *args, cwd=HERE, stdout=asyncio.subprocess.PIPE
    )
    async with asyncio.timeout(30):
        out, _ = await process.communicate()
    assert process.returncode == 0, out
    return [json.loads(line) for line in out.decode().splitlines() if line.strip()]


async def test_apollo_client_renders_the_first_part_before_the_slow_platform_answers(
    interop: Path, slow: Upstreams, world: World
) -> None:
    results = await lines(
        "apollo-defer.mjs", slow.gateway.url, world.keys["acme_tenant"], DASHBOARD, "sms"
    )
    assert len(results) == 2, results
    first, last = results
    assert first["data"]["email"]["overall"]["sent"] > 0
    assert len(first["data"]["numbersConnection"]["edges"]) == 2
    assert "sms" not in first["data"]
    assert last["data"]["sms"]["overview"]["deliveryRate"] > 0
    assert last["data"]["email"] == first["data"]["email"]
    # MessageSender answers SLOW s after it is asked at the earliest: the first came before.
    assert first["at"] < SLOW * 1000 <= last["at"], (first["at"], last["at"])


async def test_graphql_sse_s_client_gets_the_parts_in_order(
    interop: Path, slow: Upstreams, world: World
) -> None:
    events = await lines(
        "sse.mjs", slow.gateway.url, world.keys["acme_tenant"], DASHBOARD, "{}", "10"
    )
    first, second, done = events
    assert first["next"]["hasNext"] is True
    assert "sms" not in first["next"]["data"]
    [entry] = second["next"]["incremental"]
    assert entry["data"]["sms"]["overview"]["deliveryRate"] > 0
    assert second["next"]["hasNext"] is False
    assert done == {"complete": True}
