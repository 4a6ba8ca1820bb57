"""A tenant's live subscriptions are bounded over every transport, all its keys together: past
the bound a new one is refused with its own typed error and the ones held go on; each one is
given back however it ends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from prometheus_client import REGISTRY

from gateway.config.settings import Settings
from gateway.http.app import create_app
from gateway.http.appkeys import SUBSCRIPTIONS
from gateway.schema.ids import encode_id
from tests.support.gateway import NOW, Gateway, World, fixed_clock, serve
from tests.support.sockets import BOARD, PROTOCOL, Socket
from tests.support.streams import MULTIPART, multipart

pytestmark = pytest.mark.parametrize("store", ["sqlite"], indirect=True)

LIMIT = 3
OVER = {"code": "RATE_LIMITED", "limit": "maxSubscriptionsPerTenant"}


@pytest.fixture
async def capped(world: World) -> AsyncIterator[Gateway]:
    settings = Settings(
        store_url=world.store.url,
        demo=False,
        cache_ttl_seconds=0,
        rate_limit=0,
        max_subscriptions_per_tenant=LIMIT,
    )
    async for running in serve(create_app(settings, clock=fixed_clock)):
        yield running


def held(gateway: Gateway, tenant: str = "acme") -> int:
    app = gateway.server.app
    assert app is not None
    return app[SUBSCRIPTIONS].held_by(tenant)


async def settles(gateway: Gateway, count: int, tenant: str = "acme") -> None:
    """The tenant's count reaches `count` (a closing socket is seen a loop turn or two later)."""
    for _ in range(500):
        if held(gateway, tenant) == count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{tenant} still holds {held(gateway, tenant)}, not {count}")


async def opened(gateway: Gateway, key: str) -> tuple[aiohttp.ClientWebSocketResponse, Socket]:
    ws = await gateway.session.ws_connect(gateway.url, protocols=[PROTOCOL])
    socket = Socket(ws)
    await socket.send({"type": "connection_init", "payload": {"x-api-key": key}})
    assert (await socket.receive())["type"] == "connection_ack"
    return ws, socket


def board(world: World, number: str = "support") -> dict[str, Any]:
    return {
        "query": BOARD,
        "variables": {"n": encode_id("WhatsAppNumber", "native", world.numbers[number])},
    }


async def subscribe(socket: Socket, operation: str, payload: dict[str, Any]) -> dict[str, Any]:
    await socket.send({"type": "subscribe", "id": operation, "payload": payload})
    return await socket.receive()


async def test_a_tenant_holds_its_bound_over_every_transport_and_keys_together(
    capped: Gateway, world: World
) -> None:
    before = REGISTRY.get_sample_value("gateway_live_subscriptions") or 0.0
    ws, tenant_socket = await opened(capped, world.keys["acme_tenant"])
    assert (await subscribe(tenant_socket, "1", board(world)))["type"] == "next"
    assert (await subscribe(tenant_socket, "2", board(world, "sales")))["type"] == "next"
    stream = multipart(capped, world.keys["acme_sales"], BOARD)
    await anext(stream)
    assert held(capped) == LIMIT
    # What /metrics says of them: every transport's, every tenant's.
    assert REGISTRY.get_sample_value("gateway_live_subscriptions") == before + LIMIT
    # One past: refused on a socket (that subscription alone), and as a stream of either kind.
    refused = await subscribe(tenant_socket, "3", board(world))
    assert refused["type"] == "error" and refused["id"] == "3"
    assert refused["payload"][0]["extensions"] == OVER
    _, sales_socket = await opened(capped, world.keys["acme_sales"])
    assert (await subscribe(sales_socket, "1", {"query": BOARD}))["payload"][0][
        "extensions"
    ] == OVER
    for accept in ("text/event-stream", MULTIPART):
        headers = {"x-api-key": world.keys["acme_sales"], "accept": accept}
        async with capped.session.post(
            capped.url, json={"query": BOARD}, headers=headers
        ) as response:
            assert response.status == 429
            assert (await response.json())["errors"][0]["extensions"] == OVER
    assert held(capped) == LIMIT
    # Another tenant has a bound of its own.
    _, globex = await opened(capped, world.keys["globex_main"])
    assert (await subscribe(globex, "1", {"query": BOARD}))["type"] == "next"
    assert held(capped, "globex") == 1
    # The ones held go on: a change reaches each of them.
    await world.send("support", "t1", NOW - timedelta(hours=1))
    pushed = await tenant_socket.receive()
    assert pushed["id"] == "1" and pushed["payload"]["data"]["dashboard"]["totals"]["total"] == 1
    await world.send("sales", "t2", NOW - timedelta(hours=1))
    assert (await anext(stream))["payload"]["data"]["dashboard"]["totals"]["total"] == 1
    # One ended makes room for one more.
    await tenant_socket.send({"type": "complete", "id": "2"})
    await settles(capped, LIMIT - 1)
    assert (await subscribe(tenant_socket, "3", board(world)))["type"] == "next"
    await stream.aclose()
    await ws.close()
    await settles(capped, 0)


async def ends_by_client_complete(gateway: Gateway, world: World) -> None:
    _, socket = await opened(gateway, world.keys["acme_sales"])
    assert (await subscribe(socket, "1", {"query": BOARD}))["type"] == "next"
    assert held(gateway) == 1
    await socket.send({"type": "complete", "id": "1"})
    await settles(gateway, 0)
    await socket.ws.close()


async def ends_by_client_close(gateway: Gateway, world: World) -> None:
    ws, socket = await opened(gateway, world.keys["acme_sales"])
    for operation in ("1", "2"):
        assert (await subscribe(socket, operation, {"query": BOARD}))["type"] == "next"
    assert held(gateway) == 2
    await ws.close()


async def ends_by_socket_drop(gateway: Gateway, world: World) -> None:
    """The connection cut with no closing handshake, as when a laptop sleeps."""
    ws, socket = await opened(gateway, world.keys["acme_sales"])
    for operation in ("1", "2"):
        assert (await subscribe(socket, operation, {"query": BOARD}))["type"] == "next"
    assert held(gateway) == 2
    connection = ws._response.connection
    assert connection is not None and connection.transport is not None
    connection.transport.abort()


async def ends_by_error(gateway: Gateway, world: World) -> None:
    """A subscription that fails validation, and one whose field fails: each ends in `error`."""
    _, socket = await opened(gateway, world.keys["acme_sales"])
    answer = await subscribe(socket, "1", {"query": "subscription { nope }"})
    assert answer["type"] == "error"
    bad_zone = {"query": BOARD.replace("DAYS_7", 'DAYS_7, timezone: "Mars/Olympus"')}
    answer = await subscribe(socket, "2", bad_zone)
    assert answer["type"] in ("error", "next")
    if answer["type"] == "next":  # a field error is a `next` with errors, then `complete`
        assert (await socket.receive())["type"] == "complete"
    await settles(gateway, 0)
    await socket.ws.close()


async def ends_as_a_query(gateway: Gateway, world: World) -> None:
    """A query sent as `subscribe` holds its place only while it runs."""
    _, socket = await opened(gateway, world.keys["acme_sales"])
    answer = await subscribe(socket, "1", {"query": "{ viewer { tenantId } }"})
    assert answer["type"] == "next" and (await socket.receive())["type"] == "complete"
    await settles(gateway, 0)
    await socket.ws.close()


async def ends_as_a_stream_whose_client_leaves(gateway: Gateway, world: World) -> None:
    for _ in range(2):
        stream = multipart(gateway, world.keys["acme_sales"], BOARD)
        await anext(stream)
        assert held(gateway) == 1
        await stream.aclose()
        await settles(gateway, 0)
    headers = {"x-api-key": world.keys["acme_sales"], "accept": "text/event-stream"}
    async with gateway.session.post(gateway.url, json={"query": BOARD}, headers=headers) as sse:
        assert sse.status == 200
        await sse.content.readuntil(b"\n\n")
        assert held(gateway) == 1


ENDINGS: dict[str, Callable[[Gateway, World], Any]] = {
    "client complete": ends_by_client_complete,
    "client close": ends_by_client_close,
    "socket drop": ends_by_socket_drop,
    "error": ends_by_error,
    "query": ends_as_a_query,
    "stream left": ends_as_a_stream_whose_client_leaves,
}


@pytest.mark.parametrize("ending", list(ENDINGS))
async def test_the_count_comes_back_to_zero_however_a_subscription_ends(
    capped: Gateway, world: World, ending: str
) -> None:
    await ENDINGS[ending](capped, world)
    await settles(capped, 0)
    # And the whole bound is there again.
    _, socket = await opened(capped, world.keys["acme_sales"])
    for operation in map(str, range(LIMIT)):
        assert (await subscribe(socket, operation, {"query": BOARD}))["type"] == "next"
    assert (await subscribe(socket, "x", {"query": BOARD}))["payload"][0]["extensions"] == OVER
    await socket.ws.close()
    await settles(capped, 0)


async def test_the_default_bound_holds_a_thousand(world: World) -> None:
    settings = Settings(store_url=world.store.url, demo=False)
    assert settings.max_subscriptions_per_tenant >= 1000
