"""Subscription sockets obey every rule HTTP obeys: keys that stop being valid close them, each
operation counts against the key's rate, a key holds a bounded number of them, and an address
sending bad keys is slowed the same way."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from gateway.config.settings import Settings
from gateway.http.app import create_app
from gateway.providers.native.tenancy import Tenancy
from tests.support.gateway import Gateway, World, fixed_clock, serve
from tests.support.sockets import BOARD, PROTOCOL, Socket

QUERY = "{ dashboard(period: DAYS_7) { totals { total } } }"


@pytest.fixture
async def strict(world: World) -> AsyncIterator[Gateway]:
    settings = Settings(
        store_url=world.store.url,
        demo=False,
        cache_ttl_seconds=0,
        rate_limit=1,
        rate_limit_burst=3,
        max_sockets_per_key=2,
        anonymous_rate_limit=1,
        anonymous_rate_limit_burst=2,
    )
    async for running in serve(create_app(settings, clock=fixed_clock)):
        yield running


async def opened(gateway: Gateway, key: str) -> tuple[aiohttp.ClientWebSocketResponse, Socket]:
    ws = await gateway.session.ws_connect(gateway.url, protocols=[PROTOCOL])
    socket = Socket(ws)
    await socket.send({"type": "connection_init", "payload": {"x-api-key": key}})
    return ws, socket


async def closed_with(ws: aiohttp.ClientWebSocketResponse, seconds: float = 5) -> Any:
    while True:
        message = await ws.receive(timeout=seconds)
        if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
            return message.data


async def test_a_revoked_keys_sockets_close_with_4403(gateway: Gateway, world: World) -> None:
    ws, socket = await opened(gateway, world.keys["acme_sales"])
    assert (await socket.receive())["type"] == "connection_ack"
    await socket.send({"type": "subscribe", "id": "1", "payload": {"query": BOARD}})
    assert (await socket.receive())["type"] == "next"
    # The store watch sees the change and checks every socket's key again.
    await Tenancy(world.store).revoke_key(world.keys["acme_sales"])
    assert await closed_with(ws) == 4403
    # The same key is refused at the door too.
    ws, _ = await opened(gateway, world.keys["acme_sales"])
    assert await closed_with(ws) == 4403


async def test_every_operation_on_a_socket_counts_against_the_keys_rate(
    strict: Gateway, world: World
) -> None:
    ws, socket = await opened(strict, world.keys["acme_sales"])
    assert (await socket.receive())["type"] == "connection_ack"
    answers = []
    for n in range(5):
        await socket.send({"type": "subscribe", "id": str(n), "payload": {"query": QUERY}})
        answers.append(await socket.receive())
        if answers[-1]["type"] == "next":
            assert (await socket.receive())["type"] == "complete"
    kinds = [a["type"] for a in answers]
    assert kinds == ["next", "next", "next", "error", "error"]
    refusal = answers[3]["payload"][0]
    assert refusal["extensions"] == {"code": "RATE_LIMITED", "retryAfter": 1}
    await ws.close()


async def test_a_key_holds_a_bounded_number_of_sockets(strict: Gateway, world: World) -> None:
    held = []
    for _ in range(2):
        ws, socket = await opened(strict, world.keys["acme_tenant"])
        assert (await socket.receive())["type"] == "connection_ack"
        held.append(ws)
    ws, _ = await opened(strict, world.keys["acme_tenant"])
    assert await closed_with(ws) == 4429
    # Another key has a share of its own; closing one makes room again.
    other, socket = await opened(strict, world.keys["acme_sales"])
    assert (await socket.receive())["type"] == "connection_ack"
    await held.pop().close()
    await asyncio.sleep(0.1)
    ws, socket = await opened(strict, world.keys["acme_tenant"])
    assert (await socket.receive())["type"] == "connection_ack"
    for open_socket in (*held, other, ws):
        await open_socket.close()


async def test_bad_keys_on_sockets_spend_the_addresss_rate(strict: Gateway, world: World) -> None:
    codes = []
    for n in range(4):
        ws, _ = await opened(strict, f"agk_wrong-{n}")
        codes.append(await closed_with(ws))
    assert codes == [4403, 4403, 4429, 4429]
